// ByteSource: where archive bytes come from, read in order — a file, bytes in memory, or a
// decompressor over another source; BufferedSource in front of one turns many small reads (a
// tar reader's 512-byte headers) into few large ones. `read` returns fewer bytes only at the end.
import Errdefs
import Glibc

public protocol ByteSource: AnyObject {
    /// Up to `count` bytes; an empty result means the end.
    func read(upTo count: Int) throws(CoreError) -> [UInt8]
}

extension ByteSource {
    /// Exactly `count` bytes, or an error naming what was being read.
    public func readExactly(_ count: Int, what: String) throws(CoreError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let chunk = try read(upTo: count - out.count)
            guard !chunk.isEmpty else {
                throw CoreError(.dataLoss, "archive ends in the middle of \(what) (\(out.count) of \(count) bytes)")
            }
            out += chunk
        }
        return out
    }
}

/// Bytes in memory.
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(upTo count: Int) throws(CoreError) -> [UInt8] {
        let end = min(bytes.count, offset + count)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}

/// A file, read through its descriptor (which this owns).
public final class FileSource: ByteSource {
    private let fd: Int32
    private let path: String

    public init(path: String) throws(CoreError) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
        self.path = path
    }

    deinit { close(fd) }

    public func read(upTo count: Int) throws(CoreError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: min(count, 1 << 20))
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if got >= 0 { return Array(buffer[0..<got]) }
            if errno != EINTR { throw CoreError(SystemCallFailure(call: "read", path: path, errno: errno)) }
        }
    }
}

/// Reads its source `size` bytes at a time and hands them out in any amounts, so a layer of
/// millions of 512-byte headers costs a read (or an inflate call) of the source per `size`
/// bytes, not one per header. Bytes it has read ahead are its own: read the source itself again
/// only for what comes after them (the drains after a tar's end do, and get the rest).
public final class BufferedSource: ByteSource {
    private let source: ByteSource
    private let size: Int
    private var buffer: [UInt8] = []
    private var offset = 0

    public init(_ source: ByteSource, size: Int = 64 << 10) {
        self.source = source
        self.size = size
    }

    public func read(upTo count: Int) throws(CoreError) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            if offset == buffer.count {
                buffer = try source.read(upTo: max(size, count - out.count))
                offset = 0
                if buffer.isEmpty { break }
            }
            let end = min(buffer.count, offset + count - out.count)
            if out.isEmpty && end - offset == count {
                defer { offset = end }
                return Array(buffer[offset..<end])
            }
            out += buffer[offset..<end]
            offset = end
        }
        return out
    }
}
