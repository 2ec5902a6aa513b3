// ParserTests: JSONParser accepts RFC 8259 documents — escapes, \u surrogate pairs, numbers kept
// as written — and rejects malformed ones with a message that says what and where.
import JSON
import Testing

private func parse(_ text: String) throws(JSONError) -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

@Suite struct ParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" { "a" : [1, -2.5e3, true, false, null, "x", {}, []] , "b": {"c": "d"} } "#)
        #expect(value == .object([
            JSONMember("a", .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("x"),
                                   .object([]), .array([])])),
            JSONMember("b", .object([JSONMember("c", .string("d"))])),
        ]))
        #expect(value["b"]?["c"] == .string("d"))
        #expect(value["a"]?[1] == .number("-2.5e3"))
        #expect(value["a"]?[99] == nil && value["zz"] == nil)
    }

    @Test func scalarsAreDocumentsToo() throws {
        #expect(try parse("42") == .number("42"))
        #expect(try parse(" \"s\"\n") == .string("s"))
        #expect(try parse("null") == .null)
    }

    @Test func keepsMemberOrderAndDuplicates() throws {
        let value = try parse(#"{"z": 1, "a": 2, "z": 3}"#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["z", "a", "z"])
        #expect(value["z"] == .number("3"), "the last duplicate wins on lookup")
    }

    @Test func numbersKeepTheirText() throws {
        for text in ["0", "-0", "18446744073709551615", "-9223372036854775808", "0.5", "1E+2", "1.5e-300",
                     "123456789012345678901234567890"] {
            #expect(try parse(text) == .number(text))
        }
    }

    @Test func decodesEscapes() throws {
        #expect(try parse(#""\" \\ \/ \b \f \n \r \t""#) == .string("\" \\ / \u{8} \u{C} \n \r \t"))
        #expect(try parse(#""caf\u00e9 \u00E9""#) == .string("café é"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
    }

    @Test func joinsSurrogatePairs() throws {
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parse(#""a\uD834\uDD1Eb""#) == .string("a𝄞b"))
    }

    @Test func loneSurrogatesBecomeReplacementCharacters() throws {
        #expect(try parse(#""\ud83d""#) == .string("\u{FFFD}"))
        #expect(try parse(#""\ude00x""#) == .string("\u{FFFD}x"))
        #expect(try parse(#""\ud83d\u0041""#) == .string("\u{FFFD}A"), "a high surrogate before a non-surrogate")
    }

    @Test func rawUTF8PassesThrough() throws {
        #expect(try parse("\"żółw 🐢\"") == .string("żółw 🐢"))
    }

    @Test(arguments: [
        ("", "unexpected end of input", 1, 1),
        ("[1, 2,]", "unexpected character ']'", 1, 7),
        (#"{"a": 1,}"#, "expected a key string", 1, 9),
        (#"{"a" 1}"#, "expected ':' after key", 1, 6),
        (#"{"a": 1 "b": 2}"#, "expected ',' or '}'", 1, 9),
        ("[1 2]", "expected ',' or ']'", 1, 4),
        ("01", "leading zero in a number", 1, 2),
        ("-", "invalid number", 1, 2),
        ("1.", "expected a digit after '.'", 1, 3),
        ("1e", "expected a digit in the exponent", 1, 3),
        ("+1", "unexpected character '+'", 1, 1),
        ("NaN", "unexpected character 'N'", 1, 1),
        ("'a'", "unexpected character '''", 1, 1),
        ("tru", "invalid literal (expected true)", 1, 1),
        ("nulL", "invalid literal (expected null)", 1, 1),
        ("\"abc", "unterminated string", 1, 1),
        ("\"a\nb\"", "control character in a string", 1, 3),
        (#""\x""#, "invalid escape '\\x'", 1, 2),
        (#""\u12G4""#, "invalid \\u escape", 1, 2),
        (#""\u12""#, "invalid \\u escape", 1, 2),
        ("{} x", "unexpected text after the document", 1, 4),
        ("[1]\n\n  ]", "unexpected text after the document", 3, 3),
        ("{\n  \"k\": [\n    1,\n    ?\n  ]\n}", "unexpected character '?'", 4, 5),
        ("[\"é\", é]", "unexpected byte 195", 1, 7),
        ("/* comment */ 1", "unexpected character '/'", 1, 1),
    ])
    func rejectsMalformedInputWithPosition(text: String, message: String, line: Int, column: Int) {
        let error = #expect(throws: JSONError.self) { try parse(text) }
        #expect(error?.kind == .syntax)
        #expect(error?.detail == message, "for \(text)")
        #expect(error?.line == line && error?.column == column, "for \(text): \(String(describing: error))")
        #expect(error?.description == "invalid JSON at line \(line), column \(column): \(message)")
    }

    @Test func rejectsInvalidUTF8() {
        let error = #expect(throws: JSONError.self) { try JSONParser.parse([0x22, 0x61, 0xC3, 0x28, 0x22]) }
        #expect(error?.detail == "invalid UTF-8 in a string")
    }

    @Test func capsNesting() throws {
        let deep = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        _ = try parse(deep)
        let tooDeep = "[" + deep + "]"
        let error = #expect(throws: JSONError.self) { try parse(tooDeep) }
        #expect(error?.detail == "nesting deeper than \(JSONParser.maxDepth) levels")
    }

    @Test func positionsCountCharactersNotBytes() {
        let bytes = Array("é\néé!".utf8)
        #expect(JSONParser.position(of: bytes.count - 1, in: bytes) == (2, 3))
    }
}
