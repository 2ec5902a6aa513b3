// JSONEncoding: Swift's Encoder building a JSONValue, so Codable models encode without Foundation,
// and JSONCodec, the module's entry points. Keys stay in the order the model encodes them (struct
// fields in declaration order); JSONFormat.sortedKeys sorts them when written. Absent optionals
// are left out (encodeIfPresent), as with Foundation's encoder; a key encoded twice keeps its last value.

/// Decoding and encoding of Codable values as JSON text (see JSONDecoding.swift for decoding).
public enum JSONCodec {
    /// The JSON text of `value`.
    public static func encode<T: Encodable>(_ value: T, _ format: JSONFormat = .compact) throws(JSONError) -> [UInt8] {
        JSONWriter.write(try self.value(of: value), format)
    }

    /// The JSON tree of `value`.
    public static func value<T: Encodable>(of value: T) throws(JSONError) -> JSONValue {
        let root = EncodingNode()
        do { try value.encode(to: TreeEncoder(node: root)) } catch { throw JSONError(encoding: error) }
        guard let tree = root.tree else { throw JSONError(.unencodable, "encoded no value") }
        return tree
    }
}

extension JSONError {
    /// Any error out of an Encoder as a JSONError.
    init(encoding error: any Error) {
        if let known = error as? JSONError {
            self = known
        } else if case EncodingError.invalidValue(_, let context)? = error as? EncodingError {
            self = JSONError(.unencodable, path: JSONError.steps(context.codingPath), "cannot be encoded: \(context.debugDescription)")
        } else {
            self = JSONError(.unencodable, "cannot be encoded: \(error)")
        }
    }
}

/// One value under construction. A reference, because a container handed out by an Encoder
/// keeps adding to its place in the tree after the call that made it has returned. Scalars
/// encoded into a container are stored in place; only nested values get a node of their own.
final class EncodingNode {
    /// A member or element: a finished value, or a node still being built.
    enum Slot {
        case value(JSONValue)
        case node(EncodingNode)

        var tree: JSONValue {
            switch self {
            case .value(let value): value
            case .node(let node): node.tree ?? .object([])
            }
        }
    }

    private var scalar: JSONValue?
    private var members: [(key: String, slot: Slot)]?
    private var items: [Slot]?

    /// What was encoded here, nil if nothing.
    var tree: JSONValue? {
        if let members { return .object(members.map { JSONMember($0.key, $0.slot.tree) }) }
        if let items { return .array(items.map(\.tree)) }
        return scalar
    }

    func set(_ value: JSONValue) {
        scalar = value
        members = nil
        items = nil
    }

    /// Makes this node an object (keeping members already encoded into it).
    func becomeObject() {
        if members == nil { members = [] }
        items = nil
    }

    /// Makes this node an array (keeping elements already encoded into it).
    func becomeArray() {
        if items == nil { items = [] }
        members = nil
    }

    /// Sets member `key`, replacing an earlier one.
    func setMember(_ key: String, _ slot: Slot) {
        if let at = members?.firstIndex(where: { $0.key == key }) {
            members?[at].slot = slot
        } else {
            members?.append((key, slot))
        }
    }

    /// A new node for member `key`.
    func memberNode(_ key: String) -> EncodingNode {
        let node = EncodingNode()
        setMember(key, .node(node))
        return node
    }

    func append(_ slot: Slot) { items?.append(slot) }

    func appendNode() -> EncodingNode {
        let node = EncodingNode()
        items?.append(.node(node))
        return node
    }

    var itemCount: Int { items?.count ?? 0 }
}

/// The JSON number for a float; NaN and infinities have none.
private func number<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T) throws(JSONError) -> JSONValue {
    guard value.isFinite else { throw JSONError(.unencodable, "is not a finite number (\(value))") }
    return .number(value.description)
}

private func number<T: FixedWidthInteger>(_ value: T) -> JSONValue { .number(String(value)) }

/// An Encoder positioned at one node of the tree being built. Like TreeDecoder it keeps no
/// path: an encoding error gets its path as it propagates out, and `codingPath` is empty.
struct TreeEncoder: Encoder {
    let node: EncodingNode

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.becomeObject()
        return KeyedEncodingContainer(ObjectEncoder<Key>(node: node))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.becomeArray()
        return ArrayEncoder(node: node)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { ValueEncoder(node: node) }
}

/// Encodes `value` into `node`; its errors get `step` in front of their path.
private func encodeNested<T: Encodable>(_ value: T, into node: EncodingNode, at step: JSONPathStep) throws {
    do { try value.encode(to: TreeEncoder(node: node)) } catch {
        throw JSONError(encoding: error).prefixed(by: [step])
    }
}

/// `{…}`: scalars are stored in place, other values get a node of their own.
struct ObjectEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode

    var codingPath: [any CodingKey] { [] }

    private func set(_ value: JSONValue, _ key: Key) { node.setMember(key.stringValue, .value(value)) }

    private func set(_ key: Key, _ value: () throws(JSONError) -> JSONValue) throws(JSONError) {
        do { set(try value(), key) } catch { throw error.prefixed(by: [.key(key.stringValue)]) }
    }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try set(key) { () throws(JSONError) in try number(value) } }
    mutating func encode(_ value: Float, forKey key: Key) throws { try set(key) { () throws(JSONError) in try number(value) } }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(number(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(number(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(number(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(number(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(number(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(number(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(number(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(number(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(number(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(number(value), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeNested(value, into: node.memberNode(key.stringValue), at: .key(key.stringValue))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoder(node: node.memberNode(key.stringValue)).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        TreeEncoder(node: node.memberNode(key.stringValue)).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { TreeEncoder(node: node.memberNode("super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { TreeEncoder(node: node.memberNode(key.stringValue)) }
}

/// `[…]`: elements in order; scalars stored in place.
struct ArrayEncoder: UnkeyedEncodingContainer {
    let node: EncodingNode

    var codingPath: [any CodingKey] { [] }
    var count: Int { node.itemCount }

    private func append(_ value: () throws(JSONError) -> JSONValue) throws(JSONError) {
        do { node.append(.value(try value())) } catch { throw error.prefixed(by: [.index(node.itemCount)]) }
    }

    mutating func encodeNil() throws { node.append(.value(.null)) }
    mutating func encode(_ value: Bool) throws { node.append(.value(.bool(value))) }
    mutating func encode(_ value: String) throws { node.append(.value(.string(value))) }
    mutating func encode(_ value: Double) throws { try append { () throws(JSONError) in try number(value) } }
    mutating func encode(_ value: Float) throws { try append { () throws(JSONError) in try number(value) } }
    mutating func encode(_ value: Int) throws { node.append(.value(number(value))) }
    mutating func encode(_ value: Int8) throws { node.append(.value(number(value))) }
    mutating func encode(_ value: Int16) throws { node.append(.value(number(value))) }
    mutating func encode(_ value: Int32) throws { node.append(.value(number(value))) }
    mutating func encode(_ value: Int64) throws { node.append(.value(number(value))) }
    mutating func encode(_ value: UInt) throws { node.append(.value(number(value))) }
    mutating func encode(_ value: UInt8) throws { node.append(.value(number(value))) }
    mutating func encode(_ value: UInt16) throws { node.append(.value(number(value))) }
    mutating func encode(_ value: UInt32) throws { node.append(.value(number(value))) }
    mutating func encode(_ value: UInt64) throws { node.append(.value(number(value))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = node.itemCount
        try encodeNested(value, into: node.appendNode(), at: .index(index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoder(node: node.appendNode()).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { TreeEncoder(node: node.appendNode()).unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { TreeEncoder(node: node.appendNode()) }
}

/// A single value at the encoder's node.
struct ValueEncoder: SingleValueEncodingContainer {
    let node: EncodingNode

    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { node.set(.null) }
    mutating func encode(_ value: Bool) throws { node.set(.bool(value)) }
    mutating func encode(_ value: String) throws { node.set(.string(value)) }
    mutating func encode(_ value: Double) throws { node.set(try number(value)) }
    mutating func encode(_ value: Float) throws { node.set(try number(value)) }
    mutating func encode(_ value: Int) throws { node.set(number(value)) }
    mutating func encode(_ value: Int8) throws { node.set(number(value)) }
    mutating func encode(_ value: Int16) throws { node.set(number(value)) }
    mutating func encode(_ value: Int32) throws { node.set(number(value)) }
    mutating func encode(_ value: Int64) throws { node.set(number(value)) }
    mutating func encode(_ value: UInt) throws { node.set(number(value)) }
    mutating func encode(_ value: UInt8) throws { node.set(number(value)) }
    mutating func encode(_ value: UInt16) throws { node.set(number(value)) }
    mutating func encode(_ value: UInt32) throws { node.set(number(value)) }
    mutating func encode(_ value: UInt64) throws { node.set(number(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try value.encode(to: TreeEncoder(node: node)) }
}
