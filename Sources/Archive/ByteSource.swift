// ByteSource: where archive bytes come from, read in order — a file, bytes in memory, or a
// decompressor over another source. `read` returns fewer bytes only at the end.
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
