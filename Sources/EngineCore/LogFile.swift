// LogFile: reading the json-file logs berth-shim writes (one {"log","stream","time"} object per
// line; rotated files at PATH.1 … PATH.N, oldest last). `entries(rotatedOnly:)` reads the rotated
// files, oldest first, for `logs`; `LogFollower` reads the current file as it grows, following
// rotations file by file, for `logs`, `logs -f` and attach. A file the shim dropped (max-file)
// before it was read is lost to a follower too: attach keeps up by polling every 10 ms.
import Foundation
import Glibc

public struct LogEntry: Sendable {
    public var stderr: Bool
    public var data: [UInt8]
    public var time: Date?
}

enum LogFile {
    private struct Line: Decodable {
        var log: String
        var stream: String
        var time: String?
    }

    /// Every entry of the rotated predecessors of `path` (PATH.N … PATH.1), oldest first.
    static func entries(rotatedOnly path: String) -> [LogEntry] {
        var files: [String] = []
        var index = 1
        while FileManager.default.fileExists(atPath: "\(path).\(index)") {
            files.insert("\(path).\(index)", at: 0)
            index += 1
        }
        var entries: [LogEntry] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            var buffer = [UInt8](data)
            entries += parse(&buffer)
        }
        return entries
    }

    /// Parses the complete lines of `buffer`, leaving an incomplete last line in it.
    static func parse(_ buffer: inout [UInt8]) -> [LogEntry] {
        var entries: [LogEntry] = []
        var start = 0
        let decoder = JSONDecoder()
        while let end = buffer[start...].firstIndex(of: 0x0A) {
            if let line = try? decoder.decode(Line.self, from: Data(buffer[start..<end])) {
                entries.append(LogEntry(stderr: line.stream == "stderr", data: Array(line.log.utf8), time: line.time.flatMap(parseTime)))
            }
            start = end + 1
        }
        buffer.removeFirst(start)
        return entries
    }

    /// RFC 3339 with up to nanoseconds, UTC ("2026-12-06T11:39:24.123456789Z").
    static func parseTime(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == 0x2D, bytes[10] == 0x54, bytes.last == 0x5A else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for byte in bytes[from..<(from + count)] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let whole = timegm(&parts)
        var fraction = 0.0
        if bytes[19] == 0x2E {
            var scale = 0.1
            for byte in bytes[20..<(bytes.count - 1)] {
                guard byte >= 0x30 && byte <= 0x39 else { break }
                fraction += Double(byte - 0x30) * scale
                scale /= 10
            }
        }
        return Date(timeIntervalSince1970: Double(whole) + fraction)
    }
}

/// Reads a log file as it grows, from its start or its current end; when the shim rotates it,
/// the old file is read to its end and the new one from its start.
final class LogFollower {
    let path: String
    private var fd: Int32 = -1
    private var inode: ino_t = 0
    private var pending: [UInt8] = []

    init(path: String, fromStart: Bool) {
        self.path = path
        open(atEnd: !fromStart)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// The file written after ours: PATH.(k-1) if ours is now PATH.k, PATH if it is PATH.1, the
    /// oldest kept one if ours was already dropped.
    private func next() -> String {
        var kept: [(index: Int, inode: ino_t)] = []
        var info = stat()
        while stat("\(path).\(kept.count + 1)", &info) == 0 { kept.append((kept.count + 1, info.st_ino)) }
        if let ours = kept.first(where: { $0.inode == inode }) { return ours.index == 1 ? path : "\(path).\(ours.index - 1)" }
        return kept.last.map { "\(path).\($0.index)" } ?? path
    }

    private func open(_ file: String? = nil, atEnd: Bool) {
        fd = Glibc.open(file ?? path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        var info = stat()
        fstat(fd, &info)
        inode = info.st_ino
        if atEnd { lseek(fd, 0, SEEK_END) }
    }

    /// The entries appended since the last call.
    func read() -> [LogEntry] {
        // No file when we began: everything written since is ours, rotated files first.
        if fd < 0 { open(next(), atEnd: false) }
        guard fd >= 0 else { return [] }
        var entries: [LogEntry] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = Glibc.read(fd, &chunk, chunk.count)
            if count > 0 {
                pending += chunk[0..<count]
                entries += LogFile.parse(&pending)
                continue
            }
            // At the end: a rotation left this file behind if the path names another one now.
            var info = stat()
            if stat(path, &info) == 0, info.st_ino != inode {
                close(fd)
                pending = []
                open(next(), atEnd: false)
                guard fd >= 0 else { break }
                continue
            }
            break
        }
        return entries
    }
}
