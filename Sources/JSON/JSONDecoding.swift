// JSONDecoding: Swift's Decoder over a JSONValue, so Codable models (OCI's Spec, ContainerState…)
// decode without Foundation. Every failure is a JSONError naming the field's path: a missing
// required key, a null, a value of the wrong JSON type, a number that does not fit the field
// (negative for an unsigned type, fractional for an integer, beyond 64 bits), or a value the
// field's own init(from:) rejected. Unknown keys are ignored; a null optional field reads as nil.

extension JSONCodec {
    /// Parses `bytes` and decodes a `T`; errors carry the field's path and, where known, line and column.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(JSONError) -> T {
        let value = try JSONParser.parse(bytes)
        do throws(JSONError) {
            return try decode(type, from: value)
        } catch {
            var located = error
            if let (line, column) = JSONParser.locate(error.path, in: bytes) {
                (located.line, located.column) = (line, column)
            }
            throw located
        }
    }

    /// Decodes a `T` from a parsed document.
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(JSONError) -> T {
        try TreeDecoder(value: value).decode(type)
    }
}

extension JSONError {
    /// Any error out of a Decoder as a JSONError; a DecodingError's coding path is taken as
    /// relative to the decoder it came from (see TreeDecoder).
    init(converting error: any Error) {
        if let known = error as? JSONError {
            self = known
            return
        }
        guard let decoding = error as? DecodingError else {
            self = JSONError(.invalidValue, "is invalid: \(error)")
            return
        }
        switch decoding {
        case .keyNotFound(let key, let context):
            self = JSONError(.missingKey, path: JSONError.steps(context.codingPath + [key]), "")
        case .valueNotFound(_, let context):
            self = JSONError(.null, path: JSONError.steps(context.codingPath), "")
        case .typeMismatch(let type, let context):
            self = JSONError(.wrongType, path: JSONError.steps(context.codingPath), "\(type)")
        case .dataCorrupted(let context):
            self = JSONError(.invalidValue, path: JSONError.steps(context.codingPath), "is invalid: \(context.debugDescription)")
        @unknown default:
            self = JSONError(.invalidValue, "is invalid: \(decoding)")
        }
    }

    /// The same error, `steps` further down from where the decoding started (for a value
    /// decoded from part of a larger document).
    public func prefixed(by steps: [JSONPathStep]) -> JSONError {
        guard !steps.isEmpty else { return self }
        var error = self
        error.path = steps + path
        return error
    }

    static func steps(_ codingPath: [any CodingKey]) -> [JSONPathStep] {
        codingPath.map { key in key.intValue.map(JSONPathStep.index) ?? .key(key.stringValue) }
    }
}

/// A coding key made from a path step, for `codingPath`, `allKeys` and superDecoder.
struct PathKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }

    /// A path as Codable's `codingPath`.
    static func codingPath(_ path: [JSONPathStep]) -> [any CodingKey] {
        path.map { step -> any CodingKey in
            switch step {
            case .key(let key): PathKey(stringValue: key)
            case .index(let index): PathKey(intValue: index)
            }
        }
    }
}

/// A Decoder positioned at one value of the tree. It keeps no path: a decoding error gets its
/// path as it propagates out through the containers (each adds its key or index), which costs
/// nothing when decoding succeeds. `codingPath` is therefore relative — empty except below a
/// nested container or super decoder, whose steps from the enclosing decoder it lists.
struct TreeDecoder: Decoder {
    let value: JSONValue
    /// Steps from the decoder of the enclosing decode call (empty unless made by a nested container).
    var prefix: [JSONPathStep] = []

    var codingPath: [any CodingKey] { PathKey.codingPath(prefix) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return KeyedDecodingContainer(ObjectContainer<Key>(members: members, prefix: prefix))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return ArrayContainer(items: items, prefix: prefix)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { ValueContainer(decoder: self) }

    func mismatch(_ expected: String) -> JSONError {
        if case .null = value { return JSONError(.null, path: prefix, "") }
        return JSONError(.wrongType, path: prefix, expected)
    }

    // MARK: - Scalars, shared by the three kinds of container

    func decodeBool() throws(JSONError) -> Bool {
        guard case .bool(let flag) = value else { throw mismatch("a boolean") }
        return flag
    }

    func decodeString() throws(JSONError) -> String {
        guard case .string(let text) = value else { throw mismatch("a string") }
        return text
    }

    func decodeInteger<T: FixedWidthInteger>(_ type: T.Type) throws(JSONError) -> T {
        guard case .number(let text) = value else {
            throw mismatch(T.isSigned ? "an integer" : "a non-negative integer")
        }
        guard let number = T(text) else { throw JSONError(.outOfRange, path: prefix, text) }
        return number
    }

    func decodeFloat<T: BinaryFloatingPoint & LosslessStringConvertible>(_ type: T.Type) throws(JSONError) -> T {
        guard case .number(let text) = value else { throw mismatch("a number") }
        guard let number = T(text), number.isFinite else { throw JSONError(.outOfRange, path: prefix, text) }
        return number
    }

    func decode<T: Decodable>(_ type: T.Type) throws(JSONError) -> T {
        do { return try T(from: self) } catch { throw JSONError(converting: error) }
    }
}

/// `{…}`: looks members up by key; the last of duplicated keys wins.
struct ObjectContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [JSONMember]
    let prefix: [JSONPathStep]

    var codingPath: [any CodingKey] { PathKey.codingPath(prefix) }
    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { members.contains { $0.key == key.stringValue } }

    private func member(_ name: String) throws(JSONError) -> JSONValue {
        guard let member = members.last(where: { $0.key == name }) else {
            throw JSONError(.missingKey, path: prefix + [.key(name)], "")
        }
        return member.value
    }

    /// Decodes member `key` with `body`; its errors get the member's path.
    private func at<R>(_ key: Key, _ body: (TreeDecoder) throws -> R) throws(JSONError) -> R {
        let value = try member(key.stringValue)
        do { return try body(TreeDecoder(value: value)) } catch {
            throw JSONError(converting: error).prefixed(by: prefix + [.key(key.stringValue)])
        }
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try member(key.stringValue) { return true }
        return false
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try at(key) { try $0.decodeBool() } }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try at(key) { try $0.decodeString() } }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try at(key) { try $0.decodeFloat(type) } }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try at(key) { try $0.decodeFloat(type) } }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try at(key) { try $0.decodeInteger(type) } }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try at(key) { try $0.decodeInteger(type) } }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try at(key) { try $0.decodeInteger(type) } }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try at(key) { try $0.decodeInteger(type) } }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try at(key) { try $0.decodeInteger(type) } }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try at(key) { try $0.decodeInteger(type) } }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try at(key) { try $0.decodeInteger(type) } }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try at(key) { try $0.decodeInteger(type) } }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try at(key) { try $0.decodeInteger(type) } }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try at(key) { try $0.decodeInteger(type) } }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try at(key) { try $0.decode(type) } }

    /// The decoder of member `key` for a nested container or super decoder, which keeps its path.
    private func nested(_ name: String) throws(JSONError) -> TreeDecoder {
        TreeDecoder(value: try member(name), prefix: prefix + [.key(name)])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try nested(key.stringValue).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try nested(key.stringValue).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { try nested("super") }
    func superDecoder(forKey key: Key) throws -> any Decoder { try nested(key.stringValue) }
}

/// `[…]`: hands out the elements in order.
struct ArrayContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let prefix: [JSONPathStep]
    private(set) var currentIndex = 0

    init(items: [JSONValue], prefix: [JSONPathStep]) {
        self.items = items
        self.prefix = prefix
    }

    var codingPath: [any CodingKey] { PathKey.codingPath(prefix) }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private func checkNotAtEnd() throws(JSONError) {
        guard !isAtEnd else {
            throw JSONError(.invalidValue, path: prefix, "has only \(items.count) elements, more were expected")
        }
    }

    /// Decodes the next element with `body` and moves on; its errors get the element's path.
    private mutating func next<R>(_ body: (TreeDecoder) throws -> R) throws(JSONError) -> R {
        try checkNotAtEnd()
        let result: R
        do { result = try body(TreeDecoder(value: items[currentIndex])) } catch {
            throw JSONError(converting: error).prefixed(by: prefix + [.index(currentIndex)])
        }
        currentIndex += 1
        return result
    }

    /// The decoder of the next element for a nested container or super decoder.
    private mutating func nested() throws(JSONError) -> TreeDecoder {
        try checkNotAtEnd()
        defer { currentIndex += 1 }
        return TreeDecoder(value: items[currentIndex], prefix: prefix + [.index(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = items[currentIndex] else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next { try $0.decodeBool() } }
    mutating func decode(_ type: String.Type) throws -> String { try next { try $0.decodeString() } }
    mutating func decode(_ type: Double.Type) throws -> Double { try next { try $0.decodeFloat(type) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try next { try $0.decodeFloat(type) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try next { try $0.decodeInteger(type) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next { try $0.decodeInteger(type) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next { try $0.decodeInteger(type) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next { try $0.decodeInteger(type) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next { try $0.decodeInteger(type) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next { try $0.decodeInteger(type) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next { try $0.decodeInteger(type) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next { try $0.decodeInteger(type) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next { try $0.decodeInteger(type) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next { try $0.decodeInteger(type) } }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next { try $0.decode(type) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try nested().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try nested().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try nested() }
}

/// A single value (a scalar, or what a type's init(from:) reads whole).
struct ValueContainer: SingleValueDecodingContainer {
    let decoder: TreeDecoder

    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool {
        if case .null = decoder.value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool { try decoder.decodeBool() }
    func decode(_ type: String.Type) throws -> String { try decoder.decodeString() }
    func decode(_ type: Double.Type) throws -> Double { try decoder.decodeFloat(type) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.decodeFloat(type) }
    func decode(_ type: Int.Type) throws -> Int { try decoder.decodeInteger(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.decodeInteger(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.decodeInteger(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.decodeInteger(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.decodeInteger(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.decodeInteger(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.decodeInteger(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.decodeInteger(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.decodeInteger(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.decodeInteger(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decode(type) }
}
