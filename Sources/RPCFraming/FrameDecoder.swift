// FrameDecoder: turns a byte stream into frames, incrementally and without I/O. An oversized frame
// is reported as soon as its header arrives and its payload is then skipped as it streams in, so a
// peer can never make the receiver buffer more than the 4 MiB cap.

/// One result of decoding.
public enum DecodedFrame: Sendable, Equatable {
    /// A whole frame.
    case frame(Frame)
    /// A frame whose declared length exceeds the cap; its payload is being discarded.
    case oversized(streamID: UInt32, typeByte: UInt8, length: UInt32)
    /// Bytes that cannot be ttrpc (the reserved high byte of the length is set): the connection
    /// must be closed. Nothing more is decoded after this.
    case garbage(reason: String)
}

/// Incremental frame decoder. Feed bytes with `append`, then call `next()` until it returns nil.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var discardRemaining = 0
    private var poisoned = false

    public init() {}

    /// Bytes held but not yet decoded (never more than one header plus the cap).
    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        guard let skip = skipping(bytes.count), skip < bytes.count else { return }
        buffer.append(contentsOf: bytes.dropFirst(skip))
    }

    /// The same for a slice of an array, what the CLI's and the shim's reads fill: not generic, so
    /// a process that makes one call does not look up the generic's witnesses at run time (a scan
    /// of every conformance in the binary, the first time).
    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        guard let skip = skipping(bytes.count), skip < bytes.count else { return }
        buffer.append(contentsOf: bytes.dropFirst(skip))
    }

    /// How many of `count` new bytes belong to an oversized frame and are skipped without being
    /// stored; nil once the stream is poisoned.
    private mutating func skipping(_ count: Int) -> Int? {
        guard !poisoned else { return nil }
        let skip = min(discardRemaining, count)
        discardRemaining -= skip
        return skip
    }

    public mutating func next() -> DecodedFrame? {
        guard !poisoned, discardRemaining == 0 else { return nil }
        let available = buffer.count - readIndex
        guard available >= TTRPC.headerSize else { compact(); return nil }
        let h = readIndex
        if buffer[h] != 0 {
            // The length's high byte is reserved: the cap is below 16 MiB, so no valid frame sets it.
            let reserved = buffer[h]
            poisoned = true
            buffer.removeAll()
            readIndex = 0
            return .garbage(reason: "reserved length byte is \(reserved), not 0: not a ttrpc stream")
        }
        let length = readBigEndian(at: h)
        let streamID = readBigEndian(at: h + 4)
        let typeByte = buffer[h + 8]
        let flags = FrameFlags(rawValue: buffer[h + 9])
        if Int(length) > TTRPC.maxMessageSize {
            readIndex += TTRPC.headerSize
            let inBuffer = min(Int(length), buffer.count - readIndex)
            readIndex += inBuffer
            discardRemaining = Int(length) - inBuffer
            compact()
            return .oversized(streamID: streamID, typeByte: typeByte, length: length)
        }
        guard available >= TTRPC.headerSize + Int(length) else { compact(); return nil }
        let start = h + TTRPC.headerSize
        let payload = Array(buffer[start..<start + Int(length)])
        readIndex = start + Int(length)
        compact()
        return .frame(Frame(streamID: streamID, typeByte: typeByte, flags: flags, payload: payload))
    }

    private func readBigEndian(at i: Int) -> UInt32 {
        UInt32(buffer[i]) << 24 | UInt32(buffer[i + 1]) << 16 | UInt32(buffer[i + 2]) << 8 | UInt32(buffer[i + 3])
    }

    /// Drops consumed bytes once they are the larger part of the buffer (amortised O(1)).
    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 << 10)
            readIndex = 0
        } else if readIndex > 4096 && readIndex * 2 > buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }
}
