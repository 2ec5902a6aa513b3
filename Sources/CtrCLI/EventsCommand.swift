// EventsCommand: `berth-ctr events [FILTER...]` — one line per event, as ctr prints them:
// time, namespace, topic and the event as JSON, until interrupted.
import API
import ArgumentParser
import Foundation
import RPCNIO
import SwiftProtobuf

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Print events as they happen.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Filters, e.g. 'topic~=\"/tasks/\"'.") var filters: [String] = []

    func run() async throws {
        let (_, rpc) = try await global.connect()
        var request = Supervisor_SubscribeRequest()
        request.filters = filters
        let stream = try await rpc.stream(SupervisorAPI.events, "Subscribe", request, returning: Containerd_Types_Envelope.self)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for try await envelope in stream {
            let body = envelope.event.value.base64EncodedString()
            let line = "\(formatter.string(from: envelope.timestamp.date)) \(envelope.namespace) \(envelope.topic) \(envelope.event.typeURL) \(body)\n"
            Table.print(line)
        }
    }
}
