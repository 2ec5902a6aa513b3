// JSONParser: a strict RFC 8259 recursive-descent parser from UTF-8 bytes to a JSONValue. Strict:
// no comments, trailing commas, single quotes, leading zeros, bare NaN or control characters in
// strings, invalid UTF-8 or text after the document. One leniency, as in Go's encoding/json: a
// lone UTF-16 surrogate in a \u escape becomes U+FFFD. Nesting is capped so hostile input cannot
// exhaust the stack. Errors carry the byte offset, line and column of the offending character.

public struct JSONParser {
    /// Deepest nesting of arrays and objects accepted.
    public static let maxDepth = 512

    /// Parses one whole document.
    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        var parser = JSONParser(bytes)
        do throws(Failure) {
            let value = try parser.value()
            parser.skipSpace()
            if parser.index < bytes.count { throw parser.fail("unexpected text after the document") }
            return value
        } catch {
            throw error.syntaxError(in: bytes)
        }
    }

    /// 1-based line and column (counted in characters) of the byte at `offset`.
    public static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for byte in bytes[..<min(max(offset, 0), bytes.count)] {
            if byte == ascii("\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }

    /// Where the value at `path` starts, or the deepest part of the path that exists; nil if the
    /// document does not parse. For messages only: it re-reads the document.
    static func locate(_ path: [JSONPathStep], in bytes: [UInt8]) -> (line: Int, column: Int)? {
        var parser = JSONParser(bytes)
        parser.skipSpace()
        var found = parser.index
        do {
            walk: for step in path {
                switch step {
                case .key(let wanted):
                    guard parser.peek == ascii("{") else { break walk }
                    parser.index += 1
                    var last: Int?
                    try parser.members { (p: inout JSONParser, key: String) throws(Failure) in
                        p.skipSpace()
                        if key == wanted { last = p.index }
                        _ = try p.value()
                    }
                    guard let last else { break walk }
                    parser.index = last
                case .index(let wanted):
                    guard parser.peek == ascii("[") else { break walk }
                    parser.index += 1
                    var at: Int?
                    var count = 0
                    try parser.elements { (p: inout JSONParser) throws(Failure) in
                        p.skipSpace()
                        if count == wanted { at = p.index }
                        count += 1
                        _ = try p.value()
                    }
                    guard let at else { break walk }
                    parser.index = at
                }
                found = parser.index
            }
        } catch {
            return nil
        }
        return position(of: found, in: bytes)
    }

    // MARK: - The grammar

    /// A syntax error at a byte offset, before line and column are worked out.
    struct Failure: Error {
        var offset: Int
        var message: String

        func syntaxError(in bytes: [UInt8]) -> JSONError {
            var error = JSONError(.syntax, message)
            (error.line, error.column) = JSONParser.position(of: offset, in: bytes)
            return error
        }
    }

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func fail(_ message: String, at offset: Int? = nil) -> Failure {
        Failure(offset: offset ?? index, message: message)
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value() throws(Failure) -> JSONValue {
        skipSpace()
        guard let byte = peek else { throw fail("unexpected end of input") }
        switch byte {
        case ascii("{"): return try nested { (p: inout JSONParser) throws(Failure) in try p.object() }
        case ascii("["): return try nested { (p: inout JSONParser) throws(Failure) in try p.array() }
        case ascii("\""): return .string(try string())
        case ascii("t"): return try literal("true", .bool(true))
        case ascii("f"): return try literal("false", .bool(false))
        case ascii("n"): return try literal("null", .null)
        case ascii("-"), ascii("0")...ascii("9"): return .number(try number())
        default: throw fail(byte < 0x80 && byte >= 0x20
                            ? "unexpected character '\(Character(Unicode.Scalar(byte)))'" : "unexpected byte \(byte)")
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
        let count = word.utf8CodeUnitCount
        let matches = bytes.count - index >= count && word.withUTF8Buffer { text in
            text.indices.allSatisfy { bytes[index + $0] == text[$0] }
        }
        guard matches else { throw fail("invalid literal (expected \(word))") }
        index += count
        return value
    }

    private mutating func nested(_ body: (inout JSONParser) throws(Failure) -> JSONValue) throws(Failure) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth) levels") }
        index += 1  // the opening bracket
        return try body(&self)
    }

    private mutating func object() throws(Failure) -> JSONValue {
        var members: [JSONMember] = []
        try self.members { (p: inout JSONParser, key: String) throws(Failure) in
            members.append(JSONMember(key, try p.value()))
        }
        return .object(members)
    }

    private mutating func array() throws(Failure) -> JSONValue {
        var items: [JSONValue] = []
        try elements { (p: inout JSONParser) throws(Failure) in items.append(try p.value()) }
        return .array(items)
    }

    /// After `{`: reads `"key":` and lets `member` read the value, for each member, through `}`.
    private mutating func members(_ member: (inout JSONParser, String) throws(Failure) -> Void) throws(Failure) {
        skipSpace()
        if peek == ascii("}") { index += 1; return }
        while true {
            skipSpace()
            guard peek == ascii("\"") else {
                throw fail(peek == nil ? "unexpected end of input in an object" : "expected a key string")
            }
            let key = try string()
            skipSpace()
            guard peek == ascii(":") else { throw fail("expected ':' after key") }
            index += 1
            try member(&self, key)
            skipSpace()
            guard let byte = peek else { throw fail("unexpected end of input in an object") }
            index += 1
            if byte == ascii("}") { return }
            guard byte == ascii(",") else { throw fail("expected ',' or '}'", at: index - 1) }
        }
    }

    /// After `[`: lets `element` read each element, through `]`.
    private mutating func elements(_ element: (inout JSONParser) throws(Failure) -> Void) throws(Failure) {
        skipSpace()
        if peek == ascii("]") { index += 1; return }
        while true {
            try element(&self)
            skipSpace()
            guard let byte = peek else { throw fail("unexpected end of input in an array") }
            index += 1
            if byte == ascii("]") { return }
            guard byte == ascii(",") else { throw fail("expected ',' or ']'", at: index - 1) }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, returned as written.
    private mutating func number() throws(Failure) -> String {
        let start = index
        if peek == ascii("-") { index += 1 }
        if peek == ascii("0") {
            index += 1
            if let next = peek, isDigit(next) { throw fail("leading zero in a number") }
        } else if try digits() == 0 {
            throw fail("invalid number")
        }
        if peek == ascii(".") {
            index += 1
            guard try digits() > 0 else { throw fail("expected a digit after '.'") }
        }
        if let byte = peek, byte | 0x20 == ascii("e") {
            index += 1
            if peek == ascii("+") || peek == ascii("-") { index += 1 }
            guard try digits() > 0 else { throw fail("expected a digit in the exponent") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func digits() throws(Failure) -> Int {
        let start = index
        while let byte = peek, isDigit(byte) { index += 1 }
        return index - start
    }

    /// After nothing: reads a whole string literal, opening quote included.
    private mutating func string() throws(Failure) -> String {
        let start = index
        index += 1
        // Fast path: no escapes (the common case) decodes straight from the input.
        var plain = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ascii("\"") {
                let text = bytes[(start + 1)..<index]
                index += 1
                return try utf8(text, ascii: plain, at: start)
            }
            if byte == ascii("\\") { break }
            if byte < 0x20 { throw fail("control character in a string") }
            if byte >= 0x80 { plain = false }
            index += 1
        }
        var out = Array(bytes[(start + 1)..<index])
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ascii("\"") {
                index += 1
                return try utf8(out[...], ascii: false, at: start)
            }
            if byte < 0x20 { throw fail("control character in a string") }
            index += 1
            guard byte == ascii("\\") else { out.append(byte); continue }
            guard let escape = peek else { break }
            index += 1
            switch escape {
            case ascii("\""), ascii("\\"), ascii("/"): out.append(escape)
            case ascii("b"): out.append(0x08)
            case ascii("f"): out.append(0x0C)
            case ascii("n"): out.append(0x0A)
            case ascii("r"): out.append(0x0D)
            case ascii("t"): out.append(0x09)
            case ascii("u"):
                let scalar = try unicodeEscape()
                UTF8.encode(scalar) { out.append($0) }
            default: throw fail("invalid escape '\\\(Character(Unicode.Scalar(escape)))'", at: index - 2)
            }
        }
        throw fail("unterminated string", at: start)
    }

    /// After `\u`: four hex digits, and a second `\uXXXX` when they are a high surrogate.
    private mutating func unicodeEscape() throws(Failure) -> Unicode.Scalar {
        let high = try hex4()
        var scalar: Unicode.Scalar?
        if (0xD800..<0xDC00).contains(high), bytes.count - index >= 6,
           bytes[index] == ascii("\\"), bytes[index + 1] == ascii("u") {
            let mark = index
            index += 2
            let low = try hex4()
            if (0xDC00..<0xE000).contains(low) {
                scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            } else {
                index = mark  // not a pair: the second escape stands on its own
            }
        } else {
            scalar = Unicode.Scalar(high)
        }
        return scalar ?? "\u{FFFD}"
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.count - index >= 4 else { throw fail("invalid \\u escape", at: index - 2) }
        var value: UInt32 = 0
        for byte in bytes[index..<(index + 4)] {
            let digit: UInt8
            switch byte {
            case ascii("0")...ascii("9"): digit = byte - ascii("0")
            case ascii("a")...ascii("f"): digit = byte - ascii("a") + 10
            case ascii("A")...ascii("F"): digit = byte - ascii("A") + 10
            default: throw fail("invalid \\u escape", at: index - 2)
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= ascii("0") && byte <= ascii("9") }

    private func utf8(_ text: ArraySlice<UInt8>, ascii plain: Bool, at start: Int) throws(Failure) -> String {
        if plain { return String(decoding: text, as: UTF8.self) }
        guard let string = String(validating: text, as: UTF8.self) else {
            throw fail("invalid UTF-8 in a string", at: start)
        }
        return string
    }
}

/// The byte of an ASCII character.
func ascii(_ character: Unicode.Scalar) -> UInt8 { UInt8(truncatingIfNeeded: character.value) }
