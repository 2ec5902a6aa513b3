// ProtoWire: the protobuf binary wire format (varints, length-delimited fields, skipping unknown
// fields), just enough for the messages berth-shim speaks. The shim does not link SwiftProtobuf:
// it pulls in FoundationEssentials and cost +2.6 MiB RSS and +0.32 MiB Pss per shim (measured,
// docs/architecture.md). Field numbers follow Protocols/*.proto; ShimTests cross-check every
// message against the SwiftProtobuf-generated types.
import Errdefs

/// The wire type in the low three bits of a field's tag.
public enum WireType: UInt8, Sendable {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
}

/// A message the shim can read and write. Proto3 rules: absent fields keep their defaults,
/// unknown fields are skipped, the last of repeated scalar fields wins.
public protocol ProtoMessage: Sendable {
    init()
    /// Reads field `field` if the message knows it; returns false to have it skipped.
    mutating func decodeField(_ field: Int, _ wire: WireType, from reader: inout ProtoReader) throws(CoreError) -> Bool
    /// Appends the message's non-default fields.
    func encode(to writer: inout ProtoWriter)
}

extension ProtoMessage {
    /// Decodes a whole message; malformed bytes are `invalidArgument`.
    public init<Bytes: Collection>(protoBytes bytes: Bytes) throws(CoreError) where Bytes.Element == UInt8 {
        var reader = ProtoReader(Array(bytes))
        try self.init(from: &reader)
    }

    init(from reader: inout ProtoReader) throws(CoreError) {
        self.init()
        while let (field, wire) = try reader.nextField() {
            if try !decodeField(field, wire, from: &reader) { try reader.skip(wire) }
        }
    }

    /// The message's wire bytes.
    public var protoBytes: [UInt8] {
        var writer = ProtoWriter()
        encode(to: &writer)
        return writer.bytes
    }
}

/// Appends fields in the protobuf binary format. Scalars equal to their default are omitted, as
/// proto3 serializers do; `message` fields are written whenever present.
public struct ProtoWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    mutating func rawVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wire: WireType) {
        rawVarint(UInt64(field) << 3 | UInt64(wire.rawValue))
    }

    public mutating func uint64(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, .varint)
        rawVarint(value)
    }

    public mutating func uint32(_ field: Int, _ value: UInt32) { uint64(field, UInt64(value)) }
    public mutating func int64(_ field: Int, _ value: Int64) { uint64(field, UInt64(bitPattern: value)) }
    /// int32 and enums: negative values are sign-extended to ten bytes, as protobuf requires.
    public mutating func int32(_ field: Int, _ value: Int32) { uint64(field, UInt64(bitPattern: Int64(value))) }
    public mutating func bool(_ field: Int, _ value: Bool) { uint64(field, value ? 1 : 0) }

    public mutating func string(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        lengthDelimited(field, Array(value.utf8))
    }

    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        guard !value.isEmpty else { return }
        lengthDelimited(field, value)
    }

    /// Each element, empty ones included (a repeated field keeps every entry).
    public mutating func repeatedString(_ field: Int, _ values: [String]) {
        for value in values { lengthDelimited(field, Array(value.utf8)) }
    }

    public mutating func message<M: ProtoMessage>(_ field: Int, _ value: M?) {
        guard let value else { return }
        lengthDelimited(field, value.protoBytes)
    }

    public mutating func repeatedMessage<M: ProtoMessage>(_ field: Int, _ values: [M]) {
        for value in values { lengthDelimited(field, value.protoBytes) }
    }

    mutating func lengthDelimited(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        rawVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
}

/// Reads fields from protobuf bytes. Every failure is `invalidArgument` naming what was wrong.
public struct ProtoReader: Sendable {
    private let bytes: [UInt8]
    private var index: Int
    private let end: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        index = 0
        end = bytes.count
    }

    private init(_ bytes: [UInt8], from start: Int, to end: Int) {
        self.bytes = bytes
        index = start
        self.end = end
    }

    private static func malformed(_ what: String) -> CoreError {
        CoreError(.invalidArgument, "unmarshal protobuf: \(what)")
    }

    /// The next field's number and wire type, or nil at the end.
    public mutating func nextField() throws(CoreError) -> (Int, WireType)? {
        guard index < end else { return nil }
        let key = try varint()
        guard let wire = WireType(rawValue: UInt8(key & 7)) else {
            throw Self.malformed("invalid wire type \(key & 7)")
        }
        let field = key >> 3
        guard field >= 1, field <= 0x1fff_ffff else { throw Self.malformed("invalid field number \(field)") }
        return (Int(field), wire)
    }

    public mutating func varint() throws(CoreError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw Self.malformed("truncated varint") }
            let byte = bytes[index]
            index += 1
            guard shift < 64 else { throw Self.malformed("varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    public mutating func uint32() throws(CoreError) -> UInt32 { UInt32(truncatingIfNeeded: try varint()) }
    public mutating func int32() throws(CoreError) -> Int32 { Int32(truncatingIfNeeded: try varint()) }
    public mutating func int64() throws(CoreError) -> Int64 { Int64(bitPattern: try varint()) }
    public mutating func bool() throws(CoreError) -> Bool { try varint() != 0 }

    /// The payload of a length-delimited field.
    public mutating func lengthDelimited() throws(CoreError) -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(end - index) else { throw Self.malformed("length \(length) past the end") }
        let start = index
        index += Int(length)
        return bytes[start..<index]
    }

    /// A string field; invalid UTF-8 is an error, as in proto3.
    public mutating func string() throws(CoreError) -> String {
        let slice = try lengthDelimited()
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw Self.malformed("string field is not valid UTF-8")
        }
        return text
    }

    public mutating func message<M: ProtoMessage>(_ type: M.Type = M.self) throws(CoreError) -> M {
        let length = try varint()
        guard length <= UInt64(end - index) else { throw Self.malformed("length \(length) past the end") }
        var nested = ProtoReader(bytes, from: index, to: index + Int(length))
        index += Int(length)
        return try M(from: &nested)
    }

    /// Skips a field the message does not know.
    public mutating func skip(_ wire: WireType) throws(CoreError) {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: try advance(8)
        case .fixed32: try advance(4)
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup: throw Self.malformed("groups are not supported")
        }
    }

    private mutating func advance(_ count: Int) throws(CoreError) {
        guard end - index >= count else { throw Self.malformed("truncated fixed-width field") }
        index += count
    }
}
