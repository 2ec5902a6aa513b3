// Frame: the ttrpc wire unit. A 10-byte big-endian header (length, stream id, type, flags) and
// `length` bytes of payload, at most 4 MiB. Matches containerd/ttrpc 1.2 (see shared notes §1).
// Lives in RPCFraming, free of Foundation and SwiftProtobuf, so berth-shim can frame without them;
// RPC re-exports it.
import Errdefs

/// Protocol constants of ttrpc.
public enum TTRPC {
    /// Bytes in every frame header.
    public static let headerSize = 10
    /// Largest payload either side accepts or sends: 4 MiB, as containerd/ttrpc.
    public static let maxMessageSize = 4 << 20
}

/// What a frame carries.
public enum FrameType: UInt8, Sendable {
    case request = 0x01
    case response = 0x02
    case data = 0x03
}

/// Per-type flag bits.
public struct FrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Request: the client sends no data (server streaming). Data: last data from this side.
    public static let remoteClosed = FrameFlags(rawValue: 0x01)
    /// Request: the client will send Data frames (client or bidirectional streaming).
    public static let remoteOpen = FrameFlags(rawValue: 0x02)
    /// Data: the frame has no payload (with remoteClosed, a bare half-close).
    public static let noData = FrameFlags(rawValue: 0x04)
}

/// One decoded frame.
public struct Frame: Sendable, Equatable {
    public var streamID: UInt32
    /// The raw type byte; unknown values are kept so the receiver can decide what to do.
    public var typeByte: UInt8
    public var flags: FrameFlags
    public var payload: [UInt8]

    public init(streamID: UInt32, type: FrameType, flags: FrameFlags = [], payload: [UInt8] = []) {
        self.streamID = streamID
        self.typeByte = type.rawValue
        self.flags = flags
        self.payload = payload
    }

    public init(streamID: UInt32, typeByte: UInt8, flags: FrameFlags, payload: [UInt8]) {
        self.streamID = streamID
        self.typeByte = typeByte
        self.flags = flags
        self.payload = payload
    }

    public var type: FrameType? { FrameType(rawValue: typeByte) }

    /// The frame's bytes on the wire. Throws `resourceExhausted` past the 4 MiB cap, before
    /// anything is written, as the Go sender does.
    public func encoded() throws(CoreError) -> [UInt8] {
        var out: [UInt8] = []
        try Frame.append(streamID: streamID, typeByte: typeByte, flags: flags, payload: payload, to: &out)
        return out
    }

    /// Appends a frame's bytes to `out`.
    public static func append(streamID: UInt32, typeByte: UInt8, flags: FrameFlags, payload: [UInt8],
                              to out: inout [UInt8]) throws(CoreError) {
        guard payload.count <= TTRPC.maxMessageSize else {
            throw CoreError(.resourceExhausted,
                               "message length \(payload.count) exceed maximum message size of \(TTRPC.maxMessageSize)")
        }
        out.reserveCapacity(out.count + TTRPC.headerSize + payload.count)
        appendBigEndian(UInt32(payload.count), to: &out)
        appendBigEndian(streamID, to: &out)
        out.append(typeByte)
        out.append(flags.rawValue)
        out.append(contentsOf: payload)
    }
}

@inline(__always)
package func appendBigEndian(_ value: UInt32, to out: inout [UInt8]) {
    out.append(UInt8(truncatingIfNeeded: value >> 24))
    out.append(UInt8(truncatingIfNeeded: value >> 16))
    out.append(UInt8(truncatingIfNeeded: value >> 8))
    out.append(UInt8(truncatingIfNeeded: value))
}
