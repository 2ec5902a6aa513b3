// CodableTests: JSONCodec decodes and encodes Codable models — every scalar type, 64-bit extremes,
// optionals, nested containers, dictionaries — ignores unknown keys, and names the path of the
// field at fault (with line and column) when a document does not fit the model.
import JSON
import Testing

struct Scalars: Codable, Equatable {
    var flag: Bool
    var text: String
    var int: Int
    var int8: Int8
    var int16: Int16
    var int32: Int32
    var int64: Int64
    var uint: UInt
    var uint8: UInt8
    var uint16: UInt16
    var uint32: UInt32
    var uint64: UInt64
    var double: Double
    var float: Float
}

struct Config: Codable, Equatable {
    struct Item: Codable, Equatable {
        var name: String
        var size: UInt32?
        var kind: Kind?
    }
    var version: String
    var items: [Item]
    var labels: [String: String]?
    var limit: Int64?
    var matrix: [[Int]]?
}

/// A type whose own init rejects values, as OCI's LinuxNamespaceType does.
enum Kind: String, Codable, Equatable {
    case small, large
    init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let kind = Kind(rawValue: name) else { throw JSONError.invalidValue("\"\(name)\" is not a kind") }
        self = kind
    }
}

private func decode<T: Decodable>(_ type: T.Type, _ text: String) throws(JSONError) -> T {
    try JSONCodec.decode(type, from: Array(text.utf8))
}

private func encode<T: Encodable>(_ value: T, _ format: JSONFormat = .compact) throws -> String {
    String(decoding: try JSONCodec.encode(value, format), as: UTF8.self)
}

@Suite struct CodableTests {
    static let extremes = Scalars(flag: true, text: "a\"b\\c\n😀", int: Int.min, int8: -128, int16: Int16.max,
                                  int32: Int32.min, int64: Int64.max, uint: UInt.max, uint8: 255, uint16: 65535,
                                  uint32: UInt32.max, uint64: UInt64.max, double: -0.5, float: 1.25)

    @Test func roundTripsEveryScalarType() throws {
        let text = try encode(Self.extremes)
        #expect(text.contains(#""uint64":18446744073709551615"#))
        #expect(text.contains(#""int":-9223372036854775808"#))
        #expect(text.hasPrefix(#"{"flag":true,"text":"a\"b\\c\n😀","int":"#), "declared key order")
        #expect(try decode(Scalars.self, text) == Self.extremes)
    }

    @Test func decodesLargeUnsignedValuesExactly() throws {
        struct Limits: Codable { var limit: UInt64; var swap: Int64 }
        let limits = try decode(Limits.self, #"{"limit": 18446744073709551615, "swap": -1}"#)
        #expect(limits.limit == UInt64.max && limits.swap == -1)
    }

    @Test func decodesFloats() throws {
        #expect(try decode([Double].self, "[0.5, -1e-5, 3, 2.5E+2]") == [0.5, -0.00001, 3, 250])
        #expect(try decode(Float.self, "0.25") == 0.25)
        #expect(try decode(Double.self, try encode(0.1 as Double)) == 0.1)
    }

    @Test func roundTripsNestedModels() throws {
        let config = Config(version: "1", items: [Config.Item(name: "a", size: 3, kind: .large), Config.Item(name: "b")],
                            labels: ["x": "1", "y": "2"], limit: nil, matrix: [[1, 2], [], [3]])
        let text = try encode(config, .compactSorted)
        #expect(text == #"{"items":[{"kind":"large","name":"a","size":3},{"name":"b"}],"labels":{"x":"1","y":"2"},"matrix":[[1,2],[],[3]],"version":"1"}"#)
        #expect(try decode(Config.self, text) == config)
        #expect(try decode(Config.self, try encode(config, .prettySorted)) == config)
    }

    @Test func ignoresUnknownKeysAndReadsNullAsAbsent() throws {
        let config = try decode(Config.self, #"""
            {"future": {"deep": [1, {"x": null}]}, "version": "2", "items": [{"name": "n", "size": null, "extra": true}],
             "limit": null}
            """#)
        #expect(config == Config(version: "2", items: [Config.Item(name: "n")]))
    }

    @Test func topLevelArraysAndScalars() throws {
        #expect(try encode(["a", "b"]) == #"["a","b"]"#)
        #expect(try encode(UInt64.max) == "18446744073709551615")
        #expect(try encode(Optional<Int>.none) == "null")
        #expect(try decode([String?].self, #"["a", null]"#) == ["a", nil])
    }

    @Test(arguments: [
        (#"{"items": []}"#, JSONError.Kind.missingKey, "version is required (line 1, column 1)"),
        (#"{"version": "1", "items": [{"name": "a"}, {"size": 1}]}"#, .missingKey,
         "items[1].name is required (line 1, column 43)"),
        (#"{"version": 1, "items": []}"#, .wrongType, "version has the wrong type (expected a string) (line 1, column 13)"),
        (#"{"version": "1", "items": {}}"#, .wrongType, "items has the wrong type (expected an array)"),
        (#"{"version": "1", "items": [7]}"#, .wrongType, "items[0] has the wrong type (expected an object)"),
        (#"{"version": "1", "items": [{"name": "a", "size": "big"}]}"#, .wrongType,
         "items[0].size has the wrong type (expected a non-negative integer)"),
        (#"{"version": "1", "items": [], "limit": true}"#, .wrongType, "limit has the wrong type (expected an integer)"),
        (#"{"version": "1", "items": [{"name": "a", "size": -1}]}"#, .outOfRange,
         "items[0].size -1 is out of range for its type"),
        (#"{"version": "1", "items": [{"name": "a", "size": 4294967296}]}"#, .outOfRange,
         "items[0].size 4294967296 is out of range for its type"),
        (#"{"version": "1", "items": [], "limit": 9223372036854775808}"#, .outOfRange,
         "limit 9223372036854775808 is out of range for its type"),
        (#"{"version": "1", "items": [], "limit": 0.5}"#, .outOfRange, "limit 0.5 is out of range for its type"),
        (#"{"version": "1", "items": [], "matrix": [[1], [2, 1e400]]}"#, .outOfRange,
         "matrix[1][1] 1e400 is out of range for its type"),
        (#"{"version": null, "items": []}"#, .null, "version must not be null"),
        (#"{"version": "1", "items": [null]}"#, .null, "items[0] must not be null"),
        (#"{"version": "1", "items": [{"name": "a", "kind": "huge"}]}"#, .invalidValue,
         #"items[0].kind "huge" is not a kind (line 1, column 50)"#),
        ("[1, 2", .syntax, "invalid JSON at line 1, column 6: unexpected end of input in an array"),
    ])
    func errorsNameThePath(text: String, kind: JSONError.Kind, message: String) {
        let decodeAs: (String) throws -> Void = { text in
            if text.hasPrefix("[") { _ = try decode([Int].self, text) } else { _ = try decode(Config.self, text) }
        }
        let error = #expect(throws: JSONError.self) { try decodeAs(text) }
        #expect(error?.kind == kind, "for \(text)")
        #expect(error?.description.hasPrefix(message) == true, "got \(error?.description ?? "no error")")
    }

    @Test func errorPositionsPointAtTheValue() {
        let text = "{\n  \"version\": \"1\",\n  \"items\": [\n    {\"name\": \"a\", \"size\": -7}\n  ]\n}"
        let error = #expect(throws: JSONError.self) { try decode(Config.self, text) }
        #expect(error?.path == [.key("items"), .index(0), .key("size")])
        #expect(error?.line == 4 && error?.column == 27, "\(String(describing: error))")
    }

    @Test func nestedContainersAndForeignErrorsKeepTheirPath() {
        struct Outer: Decodable {
            enum Keys: CodingKey { case inner, list }
            enum InnerKeys: CodingKey { case value }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Keys.self)
                let inner = try container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
                _ = try inner.decode(UInt8.self, forKey: .value)
                var list = try container.nestedUnkeyedContainer(forKey: .list)
                while !list.isAtEnd { _ = try list.decode(String.self) }
            }
        }
        enum Color: String, Decodable { case red }
        let cases: [(String, () throws(JSONError) -> Void)] = [
            ("[1].inner.value 300 is out of range for its type", { () throws(JSONError) in
                _ = try decode([Outer].self, #"[{"inner": {"value": 1}, "list": []}, {"inner": {"value": 300}, "list": []}]"#)
            }),
            ("[0].list[1] has the wrong type (expected a string)", { () throws(JSONError) in
                _ = try decode([Outer].self, #"[{"inner": {"value": 1}, "list": ["a", 2]}]"#)
            }),
            ("[0].inner has the wrong type (expected an object)", { () throws(JSONError) in
                _ = try decode([Outer].self, #"[{"inner": [], "list": []}]"#)
            }),
            ("[1] is invalid: Cannot initialize Color from invalid String value blue", { () throws(JSONError) in
                _ = try decode([Color].self, #"["red", "blue"]"#)
            }),
        ]
        for (message, body) in cases {
            let error = #expect(throws: JSONError.self) { try body() }
            #expect(error?.description.hasPrefix(message) == true, "got \(error?.description ?? "no error")")
        }
    }

    @Test func rejectsNonFiniteNumbersWhenEncoding() {
        struct Ratio: Encodable { var value: Double }
        let error = #expect(throws: JSONError.self) { try JSONCodec.encode([Ratio(value: .nan)]) }
        #expect(error?.kind == .unencodable)
        #expect(error?.description == "[0].value is not a finite number (nan)")
    }

    @Test func aKeyEncodedTwiceKeepsItsLastValue() throws {
        struct Twice: Encodable {
            enum Keys: CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(1, forKey: .a)
                try container.encode(2, forKey: .b)
                try container.encode(3, forKey: .a)
            }
        }
        #expect(try encode(Twice()) == #"{"a":3,"b":2}"#)
    }
}
