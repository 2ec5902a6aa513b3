// LogsCommand: `berth logs` — a container's output from its json-file log: -f, --tail N|all,
// --since/--until (RFC 3339, a unix time, or a duration like 10m), -t for timestamps; stdout
// and stderr go to ours.
import API
import ArgumentParser
import Foundation
import SwiftProtobuf

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Fetch the logs of a container.")
    @Flag(name: .shortAndLong, help: "Follow log output.") var follow = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines to show from the end of the logs (or all).") var tail = "all"
    @Option(help: "Show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m).") var since: String?
    @Option(help: "Show logs before a timestamp or relative time.") var until: String?
    @Flag(name: .shortAndLong, help: "Show timestamps.") var timestamps = false
    @Argument var container: String

    func run() async throws {
        var request = Engine_LogsRequest()
        request.id = container
        request.follow = follow
        request.stdout = true
        request.stderr = true
        if tail != "all" {
            guard let count = Int64(tail) else { throw CLIError(message: "berth: invalid --tail \(tail)", code: 125) }
            request.tail = count
        }
        if let since { request.since = Google_Protobuf_Timestamp(date: try Self.time(since)) }
        if let until { request.until = Google_Protobuf_Timestamp(date: try Self.time(until)) }
        try await withEngine { connection in
            let stream = try await connection.rpc.stream(EngineAPI.containers, "Logs", request, returning: Engine_LogChunk.self)
            for try await chunk in stream {
                var data = chunk.data
                if timestamps { data = Data((rfc3339(chunk.timestamp.date) + " ").utf8) + data }
                (chunk.stream == .stderr ? FileHandle.standardError : FileHandle.standardOutput).write(data)
            }
        }
    }

    /// RFC 3339, a unix timestamp, or a Go duration before now (10s, 5m, 2h).
    static func time(_ text: String) throws -> Date {
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)) { return Date().addingTimeInterval(-value * scale) }
        }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        throw CLIError(message: "berth: invalid time \(text): use RFC 3339, a unix time, or a duration like 10m", code: 125)
    }
}
