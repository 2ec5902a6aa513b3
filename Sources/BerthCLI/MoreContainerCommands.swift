// MoreContainerCommands: `pause`, `unpause`, `rename` and `top`.
import API
import ArgumentParser
import Foundation
import SwiftProtobuf

struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause all processes within one or more containers.")
    @Argument var containers: [String]

    func run() async throws {
        try await forEachContainer(containers) { connection, name in
            var request = Engine_ContainerRequest()
            request.id = name
            let _: Google_Protobuf_Empty = try await connection.client.call(EngineAPI.containers, "Pause", request)
        }
    }
}

struct UnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause all processes within one or more containers.")
    @Argument var containers: [String]

    func run() async throws {
        try await forEachContainer(containers) { connection, name in
            var request = Engine_ContainerRequest()
            request.id = name
            let _: Google_Protobuf_Empty = try await connection.client.call(EngineAPI.containers, "Unpause", request)
        }
    }
}

struct RenameCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rename", abstract: "Rename a container.")
    @Argument var container: String
    @Argument var newName: String

    func run() async throws {
        try await forEachContainer([container], echo: false) { connection, name in
            var request = Engine_RenameContainerRequest()
            request.id = name
            request.name = newName
            let _: Google_Protobuf_Empty = try await connection.client.call(EngineAPI.containers, "Rename", request)
        }
    }
}

struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes of a container.")
    @Argument var container: String

    func run() async throws {
        try await forEachContainer([container], echo: false) { connection, name in
            var request = Engine_ContainerRequest()
            request.id = name
            let top: Engine_TopResponse = try await connection.client.call(EngineAPI.containers, "Top", request)
            let lines = [top.titles.joined(separator: "\t")] + top.processes.map { $0.columns.joined(separator: "\t") }
            print(Template.align(lines), terminator: "")
        }
    }
}
