// JSONFileLog: the container's log file, written by the shim itself in docker's json-file shape
// (one JSONLogEntry per line), so no line is lost while the supervisor or the engine is down —
// nobody has to be reading. Asked for with a stdout/stderr path `json-file:///PATH?max-size=N&max-file=M`
// (both streams may name the same file). Lines are cut at 16 KiB like docker's (the pieces of a
// longer line carry no "\n"); with max-size the file rotates to PATH.1 … PATH.(max-file − 1), the
// oldest dropped; with max-file 1 it starts over. A regular file never blocks, so the pumps feeding
// it never drop output either.
import Errdefs
import Glibc
import Sys

public final class JSONFileLog {
    public struct Options: Equatable, Sendable {
        public var path: String
        /// Bytes after which the file rotates; 0 for never.
        public var maxSize: Int64 = 0
        /// How many files, the current one included, are kept.
        public var maxFiles = 1
    }

    public static let scheme = "json-file://"
    /// Docker's line limit: longer lines are written as several entries.
    public static let lineLimit = 16 << 10
    /// Entries built before they are written.
    static let pendingLimit = 64 << 10

    public let options: Options
    private var file: FileDescriptor
    private var size: Int64
    private var partial: [String: [UInt8]] = [:]
    private var pending: [UInt8] = []
    private let log: ShimLog
    /// Bytes of entries that could not be written (disk full, file removed under us).
    public private(set) var droppedBytes = 0

    public init(_ options: Options, log: ShimLog) throws(CoreError) {
        self.options = options
        self.log = log
        file = try Self.open(options.path, truncate: false)
        size = try Self.size(of: file, path: options.path)
    }

    /// Parses `json-file:///PATH?max-size=10m&max-file=3` (sizes in bytes, or with k, m, g).
    public static func parse(_ uri: String) throws(CoreError) -> Options {
        guard uri.hasPrefix(scheme) else { throw CoreError(.invalidArgument, "log \(uri): not a \(scheme) path") }
        let rest = uri.dropFirst(scheme.count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var options = Options(path: String(parts[0]))
        guard options.path.hasPrefix("/"), !options.path.hasSuffix("/") else {
            throw CoreError(.invalidArgument, "log \(uri): the path must be absolute and name a file")
        }
        for pair in parts.count > 1 ? parts[1].split(separator: "&") : [] {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw CoreError(.invalidArgument, "log \(uri): option \(pair) has no value") }
            switch kv[0] {
            case "max-size":
                guard let bytes = parseSize(kv[1]), bytes > 0 else {
                    throw CoreError(.invalidArgument, "log \(uri): max-size \(kv[1]) is not a positive size")
                }
                options.maxSize = bytes
            case "max-file":
                guard let count = Int(kv[1]), count >= 1, count <= 1000 else {
                    throw CoreError(.invalidArgument, "log \(uri): max-file \(kv[1]) must be between 1 and 1000")
                }
                options.maxFiles = count
            default:
                throw CoreError(.invalidArgument, "log \(uri): unknown option \(kv[0])")
            }
        }
        return options
    }

    /// "1048576", "512k", "10m", "1g" (powers of 1024, as docker's units).
    static func parseSize(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30]
        guard let last = text.lowercased().last else { return nil }
        if let unit = units[last] {
            return Int64(text.dropLast()).flatMap { $0.multipliedReportingOverflow(by: unit).overflow ? nil : $0 * unit }
        }
        return Int64(text)
    }

    /// Appends what `stream` produced: complete lines become entries now, a trailing partial line
    /// waits for its end (or until it reaches the line limit).
    public func append(_ bytes: ArraySlice<UInt8>, stream: String) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let suffix = JSONLogEntry.suffix(stream: stream, time: now)
        var carried = partial[stream] ?? []
        partial[stream] = nil
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let room = Self.lineLimit - carried.count
            let window = bytes[start..<min(bytes.endIndex, start + room)]
            if let newline = Self.firstNewline(in: window) {
                emit(carried, bytes[start...newline], suffix: suffix)
                carried.removeAll(keepingCapacity: true)
                start = newline + 1
            } else if window.count == room {
                emit(carried, window, suffix: suffix)  // a piece of a long line
                carried.removeAll(keepingCapacity: true)
                start = window.endIndex
            } else {
                carried.append(contentsOf: window)
                start = window.endIndex
            }
        }
        if !carried.isEmpty { partial[stream] = carried }
        flush()
    }

    /// The stream ended: its unfinished last line is written as it is.
    public func finish(stream: String) {
        guard let carried = partial.removeValue(forKey: stream), !carried.isEmpty else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        emit(carried, [], suffix: JSONLogEntry.suffix(stream: stream, time: now))
        flush()
    }

    /// The index of the first "\n" in `window` (memchr: a log is mostly long runs without one).
    private static func firstNewline(in window: ArraySlice<UInt8>) -> Int? {
        window.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress, let found = memchr(base, 0x0A, buffer.count) else { return nil }
            return window.startIndex + (UnsafeRawPointer(found) - UnsafeRawPointer(base))
        }
    }

    public func close() {
        for stream in Array(partial.keys) { finish(stream: stream) }
        try? file.close()
    }

    private func emit(_ head: [UInt8], _ tail: ArraySlice<UInt8>, suffix: [UInt8]) {
        if options.maxSize > 0, size + Int64(pending.count) >= options.maxSize {
            flush()
            rotate()
        }
        if head.isEmpty {
            JSONLogEntry.append(text: tail, suffix: suffix, to: &pending)
        } else {
            JSONLogEntry.append(text: (head + tail)[...], suffix: suffix, to: &pending)
        }
        // Written every 64 KiB: a read of 16 KiB of short lines makes up to ~37 times its size in
        // entries, and the buffer keeps its capacity for the shim's life.
        if pending.count >= Self.pendingLimit { flush() }
    }

    /// Writes the entries built so far.
    private func flush() {
        guard !pending.isEmpty else { return }
        var offset = 0
        while offset < pending.count {
            let written = pending.withUnsafeBytes { buffer in
                file.withRawValue { Glibc.write($0, buffer.baseAddress! + offset, buffer.count - offset) }
            }
            if written < 0 {
                if errno == EINTR { continue }
                if droppedBytes == 0 { log.warn("log \(options.path): write: errno \(errno); dropping entries") }
                droppedBytes += pending.count - offset
                break
            }
            offset += written
            size += Int64(written)
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// PATH → PATH.1 → … → PATH.(maxFiles − 1), the oldest removed; then a new, empty PATH.
    private func rotate() {
        let path = options.path
        if options.maxFiles > 1 {
            unlink("\(path).\(options.maxFiles - 1)")
            for index in stride(from: options.maxFiles - 2, through: 1, by: -1) {
                rename("\(path).\(index)", "\(path).\(index + 1)")
            }
            if rename(path, "\(path).1") != 0 { log.warn("log \(path): rename to \(path).1: errno \(errno)") }
        }
        do {
            let next = try Self.open(path, truncate: true)
            try? file.close()
            file = next
            size = 0
        } catch {
            log.warn("log \(path): cannot start a new file: \(error.message)")
        }
    }

    private static func open(_ path: String, truncate: Bool) throws(CoreError) -> FileDescriptor {
        try FileDescriptor.open(path, flags: O_WRONLY | O_CREAT | O_APPEND | (truncate ? O_TRUNC : 0), mode: 0o640)
    }

    private static func size(of file: FileDescriptor, path: String) throws(CoreError) -> Int64 {
        var info = stat()
        guard file.withRawValue({ fstat($0, &info) }) == 0 else {
            throw CoreError(SystemCallFailure(call: "fstat", path: path, errno: errno))
        }
        return Int64(info.st_size)
    }
}
