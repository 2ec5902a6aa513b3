// EngineJournalTests: --log-driver journald — the shim sends each line to the journal socket in
// the native protocol with docker's fields (a socket the test binds stands in for journald), and
// keeps the json-file cache that attach and `logs` read (docker's dual logging).
import Foundation
import Sys
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct EngineJournalTests {
    @Test func linesReachTheJournalWithDockersFields() async throws {
        let h = try EngineHarness()
        do {
            let journal = try UnixSocket.bind(path: "\(h.work)/journal.sock", kind: .datagram)
            try await h.start(extraArguments: ["--journald-socket", "\(h.work)/journal.sock"])
            try await h.loadBusybox()
            let run = try await h.berth(["run", "--name", "jd", "--log-driver", "journald", "busybox", "sh", "-c",
                                   "echo first; echo second >&2; printf 'no newline'"])
            #expect(run.status == 0 && run.out == "first\nno newline" && run.err == "second\n", "\(run.err)")
            #expect(try await h.berth(["logs", "jd"]).out == "first\nno newline")
            let id = try await h.berth(["inspect", "-f", "{{.Id}}", "jd"]).out.trimmingCharacters(in: .whitespacesAndNewlines)

            let fd = journal.rawValue
            let entries = try await offPool { () -> [String] in
                var entries: [String] = []
                var buffer = [UInt8](repeating: 0, count: 65536)
                while entries.count < 3 {
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&poller, 1, 5000) == 1 else { break }
                    let count = read(fd, &buffer, buffer.count)
                    entries.append(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self))
                }
                return entries
            }
            #expect(entries.count == 3)
            let byMessage = Dictionary(entries.map { entry in (Self.message(of: entry), entry) }, uniquingKeysWith: { a, _ in a })
            #expect(Set(byMessage.keys) == ["first", "second", "no newline"])
            for (message, entry) in byMessage {
                #expect(entry.contains("CONTAINER_NAME=jd\n") && entry.contains("CONTAINER_ID=\(id.prefix(12))\n")
                        && entry.contains("CONTAINER_ID_FULL=\(id)\n") && entry.contains("IMAGE_NAME=busybox\n"))
                #expect(entry.contains(message == "second" ? "PRIORITY=3\n" : "PRIORITY=6\n"))
            }
        } catch {
            Issue.record("engine log:\n\(h.engineLog.suffix(3000))")
            await h.cleanup()
            throw error
        }
        await h.cleanup()
    }

    /// MESSAGE in the native protocol's length-prefixed form: "MESSAGE\n", 8 bytes of length, the bytes, "\n".
    static func message(of entry: String) -> String {
        let bytes = Array(entry.utf8)
        let marker = Array("MESSAGE\n".utf8)
        guard let start = (0...(bytes.count - marker.count)).first(where: { Array(bytes[$0..<($0 + marker.count)]) == marker }) else { return "" }
        let lengthStart = start + marker.count
        let length = bytes[lengthStart..<(lengthStart + 8)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return String(decoding: bytes[(lengthStart + 8)..<(lengthStart + 8 + length)], as: UTF8.self)
    }
}
