// GzipSource: gunzip as a ByteSource, through zlib (which checks the header, the CRC and the
// length). `GzipSource.maybe(_:)` looks at the first two bytes, so callers take compressed and
// plain streams alike — layers in both archive formats may be either.
import CZlib
import Errdefs

public final class GzipSource: ByteSource {
    private let input: ByteSource
    private var stream = z_stream()
    private var inputBuffer: [UInt8] = []
    /// Where the unconsumed part of `inputBuffer` starts (not shifted down after every call: with
    /// small reads of well-compressed data that was a 64 KiB move per few bytes consumed).
    private var inputOffset = 0
    private var finished = false
    /// Compressed bytes taken from the input so far.
    public private(set) var compressedCount = 0

    init(_ input: ByteSource, prefix: [UInt8]) throws(CoreError) {
        self.input = input
        inputBuffer = prefix
        guard berth_inflate_init_gzip(&stream) == Z_OK else { throw CoreError(.internal, "zlib: inflateInit2 failed") }
    }

    deinit { inflateEnd(&stream) }

    /// `source` decompressed if it starts with gzip's magic bytes, else `source` itself (with
    /// the two peeked bytes put back in front).
    public static func maybe(_ source: ByteSource) throws(CoreError) -> ByteSource {
        var head: [UInt8] = []
        while head.count < 2 {
            let chunk = try source.read(upTo: 2 - head.count)
            if chunk.isEmpty { break }
            head += chunk
        }
        if head == [0x1F, 0x8B] { return try GzipSource(source, prefix: head) }
        return PrefixedSource(head, source)
    }

    public func read(upTo count: Int) throws(CoreError) -> [UInt8] {
        guard !finished, count > 0 else { return [] }
        var output = [UInt8](repeating: 0, count: min(count, 1 << 20))
        while true {
            if inputOffset == inputBuffer.count {
                inputBuffer = try input.read(upTo: 64 << 10)
                inputOffset = 0
                compressedCount += inputBuffer.count
            }
            let atEnd = inputBuffer.isEmpty
            let start = inputOffset
            let (status, produced, consumed) = inputBuffer.withUnsafeMutableBufferPointer { inBuf in
                output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_in = inBuf.baseAddress.map { $0 + start }
                    stream.avail_in = UInt32(inBuf.count - start)
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, outBuf.count - Int(stream.avail_out), inBuf.count - start - Int(stream.avail_in))
                }
            }
            inputOffset += consumed
            switch status {
            case Z_STREAM_END:
                finished = true
                return Array(output[0..<produced])
            case Z_OK, Z_BUF_ERROR:
                if produced > 0 { return Array(output[0..<produced]) }
                if atEnd { throw CoreError(.dataLoss, "gzip stream is truncated") }
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw CoreError(.dataLoss, "gzip stream is corrupt: \(detail)")
            }
        }
    }
}

/// A few bytes already taken from a source, then the rest of it.
final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private let rest: ByteSource
    init(_ prefix: [UInt8], _ rest: ByteSource) {
        self.prefix = prefix
        self.rest = rest
    }

    func read(upTo count: Int) throws(CoreError) -> [UInt8] {
        guard prefix.isEmpty else {
            let take = min(count, prefix.count)
            defer { prefix.removeFirst(take) }
            return Array(prefix[0..<take])
        }
        return try rest.read(upTo: count)
    }
}
