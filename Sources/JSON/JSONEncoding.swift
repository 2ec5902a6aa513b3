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
        do {
            try value.encode(to: TreeEncoder(node: root, path: []))
        } catch let error as JSONError {
            throw error
        } catch let EncodingError.invalidValue(_, context) {
            throw JSONError(.unencodable, path: JSONError.steps(context.codingPath), "cannot be encoded: \(context.debugDescription)")
        } catch {
            throw JSONError(.unencodable, "cannot be encoded: \(error)")
        }
        guard let tree = root.tree else { throw JSONError(.unencodable, "encoded no value") }
        return tree
    }
}

/// One value under construction. A reference, because a container handed out by an Encoder
/// keeps adding to its place in the tree after the call that made it has returned.
final class EncodingNode {
    private var scalar: JSONValue?
    private var members: [(key: String, node: EncodingNode)]?
    private var items: [EncodingNode]?

    /// What was encoded here, nil if nothing.
    var tree: JSONValue? {
        if let members { return .object(members.map { JSONMember($0.key, $0.node.tree ?? .object([])) }) }
        if let items { return .array(items.map { $0.tree ?? .object([]) }) }
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

    /// The node for member `key`, new or replacing an earlier one.
    func member(_ key: String) -> EncodingNode {
        let node = EncodingNode()
        if let at = members?.firstIndex(where: { $0.key == key }) {
            members?[at].node = node
        } else {
            members?.append((key, node))
        }
        return node
    }

    func appendItem() -> EncodingNode {
        let node = EncodingNode()
        items?.append(node)
        return node
    }

    var itemCount: Int { items?.count ?? 0 }
}

/// An Encoder positioned at one node of the tree being built.
struct TreeEncoder: Encoder {
    let node: EncodingNode
    let path: [JSONPathStep]

    var codingPath: [any CodingKey] { PathKey.codingPath(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.becomeObject()
        return KeyedEncodingContainer(ObjectEncoder<Key>(node: node, path: path))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.becomeArray()
        return ArrayEncoder(node: node, path: path)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { ValueEncoder(encoder: self) }

    func encodeFloat<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T) throws(JSONError) {
        guard value.isFinite else { throw JSONError(.unencodable, path: path, "is not a finite number (\(value))") }
        node.set(.number(value.description))
    }

    func encodeInteger<T: FixedWidthInteger>(_ value: T) { node.set(.number(String(value))) }

    func encode<T: Encodable>(_ value: T) throws { try value.encode(to: self) }
}

/// `{…}`: each key gets its own node.
struct ObjectEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let path: [JSONPathStep]

    var codingPath: [any CodingKey] { PathKey.codingPath(path) }

    private func child(_ key: Key) -> TreeEncoder {
        TreeEncoder(node: node.member(key.stringValue), path: path + [.key(key.stringValue)])
    }

    mutating func encodeNil(forKey key: Key) throws { child(key).node.set(.null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { child(key).node.set(.bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { child(key).node.set(.string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try child(key).encodeFloat(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try child(key).encodeFloat(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { child(key).encodeInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { child(key).encodeInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { child(key).encodeInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { child(key).encodeInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { child(key).encodeInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { child(key).encodeInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { child(key).encodeInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { child(key).encodeInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { child(key).encodeInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { child(key).encodeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try child(key).encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        child(key).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { child(key).unkeyedContainer() }

    mutating func superEncoder() -> any Encoder {
        TreeEncoder(node: node.member("super"), path: path + [.key("super")])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder { child(key) }
}

/// `[…]`: each element gets its own node, in order.
struct ArrayEncoder: UnkeyedEncodingContainer {
    let node: EncodingNode
    let path: [JSONPathStep]

    var codingPath: [any CodingKey] { PathKey.codingPath(path) }
    var count: Int { node.itemCount }

    private func next() -> TreeEncoder {
        let index = node.itemCount
        return TreeEncoder(node: node.appendItem(), path: path + [.index(index)])
    }

    mutating func encodeNil() throws { next().node.set(.null) }
    mutating func encode(_ value: Bool) throws { next().node.set(.bool(value)) }
    mutating func encode(_ value: String) throws { next().node.set(.string(value)) }
    mutating func encode(_ value: Double) throws { try next().encodeFloat(value) }
    mutating func encode(_ value: Float) throws { try next().encodeFloat(value) }
    mutating func encode(_ value: Int) throws { next().encodeInteger(value) }
    mutating func encode(_ value: Int8) throws { next().encodeInteger(value) }
    mutating func encode(_ value: Int16) throws { next().encodeInteger(value) }
    mutating func encode(_ value: Int32) throws { next().encodeInteger(value) }
    mutating func encode(_ value: Int64) throws { next().encodeInteger(value) }
    mutating func encode(_ value: UInt) throws { next().encodeInteger(value) }
    mutating func encode(_ value: UInt8) throws { next().encodeInteger(value) }
    mutating func encode(_ value: UInt16) throws { next().encodeInteger(value) }
    mutating func encode(_ value: UInt32) throws { next().encodeInteger(value) }
    mutating func encode(_ value: UInt64) throws { next().encodeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try next().encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { next().unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { next() }
}

/// A single value at the encoder's node.
struct ValueEncoder: SingleValueEncodingContainer {
    let encoder: TreeEncoder

    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.node.set(.null) }
    mutating func encode(_ value: Bool) throws { encoder.node.set(.bool(value)) }
    mutating func encode(_ value: String) throws { encoder.node.set(.string(value)) }
    mutating func encode(_ value: Double) throws { try encoder.encodeFloat(value) }
    mutating func encode(_ value: Float) throws { try encoder.encodeFloat(value) }
    mutating func encode(_ value: Int) throws { encoder.encodeInteger(value) }
    mutating func encode(_ value: Int8) throws { encoder.encodeInteger(value) }
    mutating func encode(_ value: Int16) throws { encoder.encodeInteger(value) }
    mutating func encode(_ value: Int32) throws { encoder.encodeInteger(value) }
    mutating func encode(_ value: Int64) throws { encoder.encodeInteger(value) }
    mutating func encode(_ value: UInt) throws { encoder.encodeInteger(value) }
    mutating func encode(_ value: UInt8) throws { encoder.encodeInteger(value) }
    mutating func encode(_ value: UInt16) throws { encoder.encodeInteger(value) }
    mutating func encode(_ value: UInt32) throws { encoder.encodeInteger(value) }
    mutating func encode(_ value: UInt64) throws { encoder.encodeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.encode(value) }
}
