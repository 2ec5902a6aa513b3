// ContainersCommand: `berth-ctr containers ls|create|info|rm` (alias `c`).
import API
import ArgumentParser
import Foundation
import SwiftProtobuf

struct ContainersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "containers", abstract: "Manage containers.",
        subcommands: [List.self, Create.self, Info.self, Remove.self], aliases: ["c", "container"])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List containers.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @Option var format: OutputFormat = .table
        @Flag(name: .short, help: "Print only the ids.") var quiet = false
        @Argument(help: "Filters, e.g. labels.app==web.") var filters: [String] = []

        func run() async throws {
            let containers = try await withClient(global) { try await $0.listContainers(filters: filters) }
            if format == .json {
                let data = try JSONSerialization.data(withJSONObject: try containers.map(Self.jsonObject), options: [.sortedKeys])
                return Table.print(String(decoding: data, as: UTF8.self) + "\n")
            }
            if quiet { return Table.print(containers.map { $0.id + "\n" }.joined()) }
            Table.print(Table.render(["CONTAINER", "IMAGE", "RUNTIME"], containers.map { [$0.id, $0.image.isEmpty ? "-" : $0.image, $0.runtime.name] }))
        }
    }

}

extension ContainersCommand.List {
    /// A container record as JSON, its spec decoded (protobuf's JSON cannot print an Any whose
    /// type it does not know, and the spec is JSON already).
    static func jsonObject(_ container: Supervisor_Container) throws -> [String: Any] {
        var record: [String: Any] = ["id": container.id, "image": container.image, "labels": container.labels,
                                     "runtime": ["name": container.runtime.name, "options_type": container.runtime.options.typeURL],
                                     "snapshot_key": container.snapshotKey, "snapshotter": container.snapshotter]
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        record["created_at"] = formatter.string(from: container.createdAt.date)
        record["updated_at"] = formatter.string(from: container.updatedAt.date)
        record["spec"] = (try? JSONSerialization.jsonObject(with: container.spec.value)) ?? NSNull()
        return record
    }
}

extension ContainersCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a container (no task).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var spec: ContainerSpecOptions

        func run() async throws {
            try await withClient(global) { client in _ = try await client.createContainer(try spec.container(namespace: client.namespace)) }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a container's record, its spec decoded.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String

        func run() async throws {
            let container = try await withClient(global) { try await $0.container(id) }
            let data = try JSONSerialization.data(withJSONObject: try List.jsonObject(container), options: [.prettyPrinted, .sortedKeys])
            Table.print(String(decoding: data, as: UTF8.self) + "\n")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove containers (without tasks).", aliases: ["delete", "del"])
        @OptionGroup var global: GlobalOptions
        @Argument var ids: [String]

        func run() async throws {
            try await withClient(global) { client in
                for id in ids { try await client.deleteContainer(id) }
            }
        }
    }
}
