// ShimJSONLogTests: containers whose stdout and stderr go to a `json-file://` log that berth-shim
// writes itself: 100 MB with nobody reading arrives whole and in order, and a small max-size
// rotates through max-file files while stdout and stderr keep their stream names, and a container
// that never stops writing leaves its shim free to answer.
import API
import Foundation
import TestSupport
import Testing

@Suite(.offPool) struct ShimJSONLogTests {
    /// Starts `args` in a container whose stdout and stderr both go to `uri`; returns its client.
    /// The container gets a fifth of a CPU: still many times what the debug shim logs per second,
    /// so a flood stays a flood, without taking a core from the tests running beside it.
    private func run(_ h: ShimHarness, _ id: String, _ args: [String], log uri: String) async throws -> TaskClient {
        let bundle = try h.bundle(id: id, args: args, cpus: 0.2)
        let shim = try await h.startShim(id: id, bundle: bundle)
        let task = try await h.client(shim.address)
        _ = try await task.create(h.createRequest(id: id, bundle: bundle, stdout: uri, stderr: uri), timeout: .seconds(30))
        _ = try await task.start(id: id)
        return task
    }

    @Test func hundredMegabytesWithNoReaderAreLoggedInOrder() async throws {
        try await withShim { h in
            let id = "biglog"
            let path = "\(h.work)/\(id)-json.log"
            // 100,000 lines of 1,001 bytes: an 8-digit number, a space, 991 x's, a newline.
            let program = #"BEGIN { s = "x"; while (length(s) < 991) s = s s; s = substr(s, 1, 991); "#
                + #"for (i = 0; i < 100000; i++) printf "%08d %s\n", i, s; print "done" > "/dev/stderr" }"#
            let task = try await run(h, id, ["/bin/awk", program], log: "json-file://\(path)")
            #expect(try await task.wait(id: id).exitStatus == 0)
            try await task.delete(id: id)

            // Checked as bytes, line by line against a template whose 8 digits change: 100 MB
            // turned into Strings took the debug test longer than the shim took to write them.
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            var template = Array(#"{"log":"00000000 "#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 991)
                + Array(#"\n","stream":"stdout","time":""#.utf8)
            var stdoutLines = 0
            var stderrLines: [String] = []
            var misplaced: [String] = []
            bytes.withUnsafeBufferPointer { file in
                var start = 0
                while start < file.count {
                    let newline = memchr(file.baseAddress! + start, 0x0A, file.count - start)
                    let end = newline.map { UnsafeRawPointer($0) - UnsafeRawPointer(file.baseAddress!) } ?? file.count
                    let line = UnsafeBufferPointer(rebasing: file[start..<end])
                    start = end + 1
                    if line.count < template.count {  // not a whole stdout line: stderr's, or one cut short
                        let text = String(decoding: line, as: UTF8.self)
                        if text.contains(#""stream":"stderr""#) {
                            stderrLines.append(text)
                            continue
                        }
                    }
                    var number = stdoutLines
                    for index in stride(from: 15, through: 8, by: -1) {
                        template[index] = UInt8(ascii: "0") + UInt8(number % 10)
                        number /= 10
                    }
                    let fits = line.count > template.count + 3 && memcmp(line.baseAddress!, template, template.count) == 0
                        && line[line.count - 3] == UInt8(ascii: "Z") && line[line.count - 2] == UInt8(ascii: "\"")
                        && line[line.count - 1] == UInt8(ascii: "}")
                    if !fits && misplaced.count < 3 { misplaced.append(String(decoding: line.prefix(60), as: UTF8.self)) }
                    stdoutLines += 1
                }
            }
            #expect(stdoutLines == 100_000)
            #expect(misplaced.isEmpty, "first lines out of place: \(misplaced)")
            #expect(stderrLines.count == 1 && stderrLines[0].hasPrefix(#"{"log":"done\n","stream":"stderr""#))
        }
    }

    /// `yes` writes faster than the shim can log it. Each readiness of the pipe is a bounded turn
    /// of the shim's one loop, so Start, State and Kill are answered while the flood goes on (the
    /// loop once copied until the pipe was empty, which `yes` never lets happen).
    @Test func aContainerThatNeverStopsWritingLeavesItsShimAnswering() async throws {
        try await withShim { h in
            let id = "flood"
            let path = "\(h.work)/\(id)-json.log"
            let task = try await run(h, id, ["/bin/yes"], log: "json-file://\(path)?max-size=1m&max-file=2")
            // The calls below are made while the flood is under way: once the log has rotated.
            let rotated = await eventually(timeout: .seconds(60)) { FileManager.default.fileExists(atPath: path + ".1") }
            #expect(rotated, "yes wrote less than 1 MiB of log in 60 s")
            #expect(try await task.state(id: id).status == .running)
            try await task.kill(id: id, signal: SIGKILL)
            #expect(try await task.wait(id: id).exitStatus == 137)
            try await task.delete(id: id)
            let newest = try Data(contentsOf: URL(fileURLWithPath: path + ".1"))
            #expect(newest.count > 512 << 10)
            #expect(newest.prefix(10) == Data(#"{"log":"y\"#.utf8))
        }
    }

    @Test func smallMaxSizeRotatesAndKeepsTheNewestLines() async throws {
        try await withShim { h in
            let id = "rotating"
            let path = "\(h.work)/\(id)-json.log"
            // stdout and stderr are separate pipes the shim drains independently; the pause lets it
            // take all of stdout first, so the stderr line is among the newest (kept) entries.
            let task = try await run(h, id, ["/bin/sh", "-c", "seq 1 3000; sleep 1; echo finished >&2"],
                                     log: "json-file://\(path)?max-size=16k&max-file=4")
            #expect(try await task.wait(id: id).exitStatus == 0)
            try await task.delete(id: id)

            let names = try FileManager.default.contentsOfDirectory(atPath: h.work).filter { $0.hasPrefix("\(id)-json.log") }
            #expect(names.sorted() == ["\(id)-json.log", "\(id)-json.log.1", "\(id)-json.log.2", "\(id)-json.log.3"])
            var logs: [[String: String]] = []
            for suffix in [".3", ".2", ".1", ""] {
                let data = try Data(contentsOf: URL(fileURLWithPath: path + suffix))
                for line in data.split(separator: UInt8(ascii: "\n")) {
                    logs.append(try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: String]))
                }
            }
            let numbers = logs.filter { $0["stream"] == "stdout" }.compactMap { Int($0["log"]!.dropLast()) }
            let first = try #require(numbers.first)
            #expect(first > 1)  // the oldest lines rotated away
            #expect(numbers == Array(first...3000))
            #expect(logs.filter { $0["stream"] == "stderr" }.map { $0["log"] } == ["finished\n"])
        }
    }
}
