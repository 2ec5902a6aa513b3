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
        do {
            return try T(from: TreeDecoder(value: value, path: []))
        } catch {
            throw JSONError(error, at: [])
        }
    }
}

extension JSONError {
    /// Any error out of a Decoder, as a JSONError whose path is filled in where its thrower left it out.
    init(_ error: any Error, at path: [JSONPathStep]) {
        if var known = error as? JSONError {
            if !known.pathKnown { known.path = path; known.pathKnown = true }
            self = known
            return
        }
        guard let decoding = error as? DecodingError else {
            self = JSONError(.invalidValue, path: path, "is invalid: \(error)")
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
            self = JSONError(.invalidValue, path: path, "is invalid: \(decoding)")
        }
        pathKnown = true
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

/// A Decoder positioned at one value of the tree.
struct TreeDecoder: Decoder {
    let value: JSONValue
    let path: [JSONPathStep]

    var codingPath: [any CodingKey] { PathKey.codingPath(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return KeyedDecodingContainer(ObjectContainer<Key>(members: members, path: path))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return ArrayContainer(items: items, path: path)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { ValueContainer(decoder: self) }

    func mismatch(_ expected: String) -> JSONError {
        if case .null = value { return JSONError(.null, path: path, "") }
        return JSONError(.wrongType, path: path, expected)
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
        guard let number = T(text) else { throw JSONError(.outOfRange, path: path, text) }
        return number
    }

    func decodeFloat<T: BinaryFloatingPoint & LosslessStringConvertible>(_ type: T.Type) throws(JSONError) -> T {
        guard case .number(let text) = value else { throw mismatch("a number") }
        guard let number = T(text), number.isFinite else { throw JSONError(.outOfRange, path: path, text) }
        return number
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do { return try T(from: self) } catch { throw JSONError(error, at: path) }
    }
}

/// `{…}`: looks members up by key; the last of duplicated keys wins.
struct ObjectContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [JSONMember]
    let path: [JSONPathStep]

    var codingPath: [any CodingKey] { PathKey.codingPath(path) }
    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { members.contains { $0.key == key.stringValue } }

    private func child(_ key: Key) throws(JSONError) -> TreeDecoder { try child(named: key.stringValue) }

    private func child(named name: String) throws(JSONError) -> TreeDecoder {
        guard let member = members.last(where: { $0.key == name }) else {
            throw JSONError(.missingKey, path: path + [.key(name)], "")
        }
        return TreeDecoder(value: member.value, path: path + [.key(name)])
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try child(key).value { return true }
        return false
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).decodeBool() }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).decodeString() }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).decodeFloat(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).decodeFloat(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).decodeInteger(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).decodeInteger(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).decodeInteger(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).decodeInteger(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).decodeInteger(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).decodeInteger(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).decodeInteger(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).decodeInteger(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).decodeInteger(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).decodeInteger(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { try child(named: "super") }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

/// `[…]`: hands out the elements in order.
struct ArrayContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let path: [JSONPathStep]
    private(set) var currentIndex = 0

    init(items: [JSONValue], path: [JSONPathStep]) {
        self.items = items
        self.path = path
    }

    var codingPath: [any CodingKey] { PathKey.codingPath(path) }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws(JSONError) -> TreeDecoder {
        guard !isAtEnd else {
            throw JSONError(.invalidValue, path: path, "has only \(items.count) elements, more were expected")
        }
        defer { currentIndex += 1 }
        return TreeDecoder(value: items[currentIndex], path: path + [.index(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = items[currentIndex] else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decodeBool() }
    mutating func decode(_ type: String.Type) throws -> String { try next().decodeString() }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().decodeFloat(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().decodeFloat(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().decodeInteger(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decodeInteger(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decodeInteger(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decodeInteger(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decodeInteger(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decodeInteger(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decodeInteger(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decodeInteger(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decodeInteger(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decodeInteger(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
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
