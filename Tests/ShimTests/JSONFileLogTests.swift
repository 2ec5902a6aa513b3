// JSONFileLogTests: the shim's json-file log on its own — docker's entry shape (escaping, invalid
// UTF-8, RFC 3339 nano times), lines split across reads and cut at 16 KiB, the last partial
// line written at end of stream, stdout and stderr in one file, size rotation, and the options
// parsed from `json-file://` paths.
import Errdefs
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import ShimCore

@Suite(.offPool) struct JSONFileLogTests {
    private func entry(_ text: String, _ seconds: Int, _ nanoseconds: Int, stream: String = "stdout") -> String {
        var out: [UInt8] = []
        JSONLogEntry.append(text: Array(text.utf8)[...], stream: stream, time: timespec(tv_sec: seconds, tv_nsec: nanoseconds), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func entriesHaveDockersShape() throws {
        #expect(entry("hello\n", 0, 0) == #"{"log":"hello\n","stream":"stdout","time":"1970-01-01T00:00:00Z"}"# + "\n")
        // 2026-11-23T23:59:01.1234567Z: trailing zeros trimmed like Go's RFC3339Nano.
        #expect(entry("x", 1_795_478_341, 123_456_700, stream: "stderr")
                == #"{"log":"x","stream":"stderr","time":"2026-11-23T23:59:01.1234567Z"}"# + "\n")
        #expect(entry("", 951_782_400, 5) .contains(#""time":"2000-02-29T00:00:00.000000005Z""#))
        let tricky = entry("q\"b\\t\tc\u{01}r\r é€😀\n", 0, 0)
        #expect(tricky.hasPrefix(#"{"log":"q\"b\\t\tc\u0001r\r é€😀\n","#))
        // Every entry is valid JSON and decodes back to the same text.
        let decoded = try JSONSerialization.jsonObject(with: Data(tricky.utf8)) as? [String: String]
        #expect(decoded?["log"] == "q\"b\\t\tc\u{01}r\r é€😀\n")
        // A slice in the middle of a read (what the log hands over) escapes the same.
        let read = Array("pad\"q\"b\\t\tc\u{01}r\r é€😀\nrest".utf8)
        var fromSlice: [UInt8] = []
        JSONLogEntry.append(text: read[4..<(read.count - 4)], stream: "stdout", time: timespec(), to: &fromSlice)
        #expect(String(decoding: fromSlice, as: UTF8.self) == tricky)
    }

    @Test func invalidUTF8BecomesReplacementCharacters() throws {
        var out: [UInt8] = []
        // A lone continuation byte, a truncated 3-byte sequence, an overlong "/", a surrogate.
        let bytes: [UInt8] = [0x61, 0x80, 0x62, 0xE2, 0x82, 0x63, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0x0A]
        JSONLogEntry.append(text: bytes[...], stream: "stdout", time: timespec(), to: &out)
        let object = try JSONSerialization.jsonObject(with: Data(out)) as? [String: String]
        #expect(object?["log"] == "a\u{FFFD}b\u{FFFD}\u{FFFD}c\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\n")
    }

    @Test func optionsComeFromThePath() throws {
        #expect(try JSONFileLog.parse("json-file:///var/log/c.log") == .init(path: "/var/log/c.log"))
        #expect(try JSONFileLog.parse("json-file:///l?max-size=10m&max-file=3")
                == .init(path: "/l", maxSize: 10 << 20, maxFiles: 3))
        #expect(try JSONFileLog.parse("json-file:///l?max-size=512") == .init(path: "/l", maxSize: 512))
        for bad in ["json-file://relative", "json-file:///dir/", "json-file:///l?max-size=0",
                    "json-file:///l?max-size=9999999999g", "json-file:///l?max-file=0", "json-file:///l?colour=red",
                    "json-file:///l?max-size", "file:///l"] {
            let error = #expect(throws: CoreError.self) { try JSONFileLog.parse(bad) }
            #expect(error?.code == .invalidArgument, "\(bad)")
        }
    }

    @Test func linesAreSplitJoinedAndCut() throws {
        let dir = try ScratchDirectory()
        let log = try JSONFileLog(.init(path: dir.path + "/c.log"), log: ShimLog(debug: false))
        log.append(Array("one\ntw".utf8)[...], stream: "stdout")
        log.append(Array("err-".utf8)[...], stream: "stderr")
        log.append(Array("o\nthree".utf8)[...], stream: "stdout")
        log.append(Array([UInt8](repeating: UInt8(ascii: "z"), count: JSONFileLog.lineLimit + 10) + [0x0A])[...], stream: "stdout")
        log.finish(stream: "stderr")  // "err-" ended without a newline
        log.close()
        let entries = try dir.entries("c.log")
        #expect(entries.map(\.stream) == ["stdout", "stdout", "stdout", "stdout", "stderr"])
        #expect(entries[0].log == "one\n")
        #expect(entries[1].log == "two\n")
        // "three" then 16 KiB of z: cut at the limit, the rest with the newline.
        #expect(entries[2].log == "three" + String(repeating: "z", count: JSONFileLog.lineLimit - 5))
        #expect(entries[3].log == String(repeating: "z", count: 15) + "\n")
        #expect(entries[4].log == "err-")
    }

    @Test func filesRotateAtMaxSizeKeepingMaxFiles() throws {
        let dir = try ScratchDirectory()
        let path = dir.path + "/r.log"
        let log = try JSONFileLog(.init(path: path, maxSize: 1000, maxFiles: 3), log: ShimLog(debug: false))
        for i in 0..<100 { log.append(Array("line \(i)\n".utf8)[...], stream: "stdout") }
        log.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["r.log", "r.log.1", "r.log.2"])
        // Oldest first, the kept lines are the newest ones, in order and without a gap.
        let lines = try (dir.entries("r.log.2") + dir.entries("r.log.1") + dir.entries("r.log")).map(\.log)
        let first = try #require(Int(lines[0].dropFirst(5).dropLast()))
        #expect(lines == (first..<100).map { "line \($0)\n" })
        #expect(first > 0)
        for name in names.dropFirst() {  // every rotated file reached the limit
            #expect(try FileManager.default.attributesOfItem(atPath: dir.path + "/" + name)[.size] as! Int >= 1000)
        }
        // max-file 1: the file starts over instead of rotating.
        let single = try JSONFileLog(.init(path: dir.path + "/s.log", maxSize: 500, maxFiles: 1), log: ShimLog(debug: false))
        for i in 0..<50 { single.append(Array("line \(i)\n".utf8)[...], stream: "stdout") }
        single.close()
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/s.log.1"))
        #expect(try dir.entries("s.log").last?.log == "line 49\n")
    }
}

/// A scratch directory removed with its files.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "berth-log-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    struct Entry: Decodable {
        var log: String
        var stream: String
        var time: String
    }

    /// The entries of a json-file log, one JSON object per line.
    func entries(_ name: String) throws -> [Entry] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(Entry.self, from: Data($0)) }
    }
}
