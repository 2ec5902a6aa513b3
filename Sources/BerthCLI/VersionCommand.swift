// VersionCommand and EventsCommand: `berth version` (client and engine, docker's layout) and
// `berth events` (the engine's event stream, with --filter, --since, --until and --format).
import API
import ArgumentParser
import Errdefs
import Foundation
import SwiftProtobuf

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Show the berth version information.")
    @Option(name: [.customShort("f"), .long], help: "Format output using a template.") var format: String?

    static let clientVersion = "0.6.0-dev"

    func run() throws {  // one call, on this thread (EngineCall)
        var client: [String: Any] = ["Version": Self.clientVersion, "ApiVersion": EngineAPI.apiVersion, "Os": "linux"]
        #if arch(x86_64)
        client["Arch"] = "amd64"
        #else
        client["Arch"] = "arm64"
        #endif
        let server: Engine_VersionResponse? = try? EngineCall.unary(EngineAPI.engine, "Version", Google_Protobuf_Empty())
        var object: [String: Any] = ["Client": client]
        if let server {
            object["Server"] = ["Version": server.version, "ApiVersion": server.apiVersion, "Os": server.os, "Arch": server.arch,
                                "KernelVersion": server.kernelVersion] as [String: Any]
        }
        if let format {
            print(try Template(format).render(object))
        } else {
            print("Client:\n Version:\t\(Self.clientVersion)\n API version:\t\(EngineAPI.apiVersion)\n OS/Arch:\tlinux/\(client["Arch"]!)\n")
            if let server {
                print("Server: berth-engine\n Version:\t\(server.version)\n API version:\t\(server.apiVersion)\n OS/Arch:\t\(server.os)/\(server.arch)\n Kernel:\t\(server.kernelVersion)")
            }
        }
        if server == nil {
            throw CLIError(message: "Cannot connect to the berth engine at \(EngineConnection.address). Is berth-engine running?", code: 1)
        }
    }
}

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Get real time events from the engine.")
    @Option(name: [.customShort("f"), .long], help: "Filter output based on conditions provided.") var filter: [String] = []
    @Option(help: "Show all events created since timestamp.") var since: String?
    @Option(help: "Stream events until this timestamp.") var until: String?
    @Option(help: "Format output using a template, or json.") var format: String?

    func run() async throws {
        var request = Engine_SubscribeRequest()
        request.filters = try parseFilters(filter)
        if let since { request.since = Google_Protobuf_Timestamp(date: try LogsCommand.time(since)) }
        if let until { request.until = Google_Protobuf_Timestamp(date: try LogsCommand.time(until)) }
        let template = try format.map { try Template($0) }
        try await withEngine { connection in
            for try await event in try await connection.rpc.stream(EngineAPI.events, "Subscribe", request, returning: Engine_Event.self) {
                let attributes = event.actor.attributes.keys.sorted().map { "\($0)=\(event.actor.attributes[$0]!)" }.joined(separator: ", ")
                if let template {
                    let object: [String: Any] = ["Type": event.type, "Action": event.action, "Status": event.action, "ID": event.actor.id,
                                                 "Actor": ["ID": event.actor.id, "Attributes": event.actor.attributes] as [String: Any],
                                                 "Scope": event.scope, "time": Int(event.time.seconds)]
                    print(try template.render(object))
                } else {
                    print("\(rfc3339(event.time.date)) \(event.type) \(event.action) \(event.actor.id) (\(attributes))")
                }
                fflush(nil)
            }
        }
    }
}
