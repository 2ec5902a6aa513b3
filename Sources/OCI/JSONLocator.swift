// JSONLocator: swift-foundation's JSONDecoder reports a syntax error, or a number that does not fit
// its field ("uid": -1), as "The given data was not valid JSON." with no path and no position. On
// that error path only, this scanner re-reads the document: a syntax error gets its line and
// column; otherwise the suspect numbers (signed, fractional, exponent, ten or more digits) are
// zeroed one after another, keeping earlier ones zeroed, and the document decoded again until that
// failure goes away: the number zeroed last is a culprit, and its path names the field.
import FoundationEssentials

/// A parsed JSON document that keeps each number's text and each object's key order.
indirect enum JSONTree: Encodable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONTree])
    case object([(key: String, value: JSONTree)])

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .number(let text):
            var container = encoder.singleValueContainer()
            if let value = Int64(text) { try container.encode(value) }
            else if let value = UInt64(text) { try container.encode(value) }
            else { try container.encode(Double(text) ?? 0) }
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for member in members { try container.encode(member.value, forKey: Key(stringValue: member.key)) }
        }
    }

    /// A path step: an object key or an array index.
    enum Step { case key(String), index(Int) }

    /// Paths of numbers that may not fit an integer field, in document order.
    func suspectNumbers(at path: [Step] = []) -> [[Step]] {
        switch self {
        case .number(let text):
            let digits = text.filter(\.isNumber).count
            let odd = text.contains { $0 == "-" || $0 == "." || $0 == "e" || $0 == "E" }
            return odd || digits >= 10 ? [path] : []
        case .array(let items):
            return items.enumerated().flatMap { $1.suspectNumbers(at: path + [.index($0)]) }
        case .object(let members):
            return members.flatMap { $0.value.suspectNumbers(at: path + [.key($0.key)]) }
        default:
            return []
        }
    }

    /// The value at `path`, for reporting.
    func value(at path: ArraySlice<Step>) -> JSONTree? {
        guard let step = path.first else { return self }
        switch (self, step) {
        case (.array(let items), .index(let index)) where items.indices.contains(index):
            return items[index].value(at: path.dropFirst())
        case (.object(let members), .key(let key)):
            return members.first { $0.key == key }?.value.value(at: path.dropFirst())
        default:
            return nil
        }
    }

    /// A copy with the value at `path` replaced.
    func replacing(_ path: ArraySlice<Step>, with value: JSONTree) -> JSONTree {
        guard let step = path.first else { return value }
        switch (self, step) {
        case (.array(var items), .index(let index)) where items.indices.contains(index):
            items[index] = items[index].replacing(path.dropFirst(), with: value)
            return .array(items)
        case (.object(var members), .key(let key)):
            if let at = members.firstIndex(where: { $0.key == key }) {
                members[at].value = members[at].value.replacing(path.dropFirst(), with: value)
            }
            return .object(members)
        default:
            return self
        }
    }

    /// `linux.uidMappings[0].hostID` for a path.
    static func dotted(_ path: [Step]) -> String {
        var text = ""
        for step in path {
            switch step {
            case .index(let index): text += "[\(index)]"
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            }
        }
        return text
    }
}

enum JSONLocator {
    /// Explains a pathless "not valid JSON" decoding failure, or returns nil if it cannot;
    /// `stillFails` decodes a probe document and says whether that failure remains.
    static func explain(_ data: Data, stillFails: (Data) -> Bool) -> String? {
        var parser = Parser(bytes: Array(data))
        let tree: JSONTree
        do {
            tree = try parser.document()
        } catch {
            let (line, column) = parser.position(of: error.offset)
            return "invalid JSON at line \(line), column \(column): \(error.message)"
        }
        var probe = tree
        for path in tree.suspectNumbers() {
            probe = probe.replacing(path[...], with: .number("0"))
            let encoder = JSONEncoder()
            guard let bytes = try? encoder.encode(probe) else { return nil }
            if !stillFails(bytes) {
                guard case .number(let text)? = tree.value(at: path[...]) else { return nil }
                return "\(JSONTree.dotted(path)) \(text) is out of range for its type"
            }
        }
        return nil
    }

    struct SyntaxError: Error {
        var offset: Int
        var message: String
    }

    /// A strict RFC 8259 recursive-descent parser; nesting is capped so hostile input cannot
    /// exhaust the stack.
    struct Parser {
        let bytes: [UInt8]
        var index = 0
        var depth = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() throws(SyntaxError) -> JSONTree {
            let value = try self.value()
            skipSpace()
            if index < bytes.count { throw fail("unexpected text after the document") }
            return value
        }

        func position(of offset: Int) -> (line: Int, column: Int) {
            var line = 1, column = 1
            for byte in bytes[..<min(offset, bytes.count)] {
                if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
            }
            return (line, column)
        }

        private func fail(_ message: String) -> SyntaxError { SyntaxError(offset: index, message: message) }

        private mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        private mutating func literal(_ word: String, _ value: JSONTree) throws(SyntaxError) -> JSONTree {
            let text = Array(word.utf8)
            guard bytes.count - index >= text.count, Array(bytes[index..<index + text.count]) == text else {
                throw fail("invalid literal")
            }
            index += text.count
            return value
        }

        private mutating func value() throws(SyntaxError) -> JSONTree {
            skipSpace()
            guard index < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try nested { (p: inout Parser) throws(SyntaxError) in try p.object() }
            case UInt8(ascii: "["): return try nested { (p: inout Parser) throws(SyntaxError) in try p.array() }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail("unexpected character '\(UnicodeScalar(bytes[index]))'")
            }
        }

        private mutating func nested(
            _ body: (inout Parser) throws(SyntaxError) -> JSONTree
        ) throws(SyntaxError) -> JSONTree {
            depth += 1
            defer { depth -= 1 }
            if depth > 512 { throw fail("nesting deeper than 512 levels") }
            return try body(&self)
        }

        private mutating func object() throws(SyntaxError) -> JSONTree {
            index += 1
            var members: [(key: String, value: JSONTree)] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key string") }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
                index += 1
                members.append((key, try value()))
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end of input in an object") }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
                index += 1
            }
        }

        private mutating func array() throws(SyntaxError) -> JSONTree {
            index += 1
            var items: [JSONTree] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                items.append(try value())
                skipSpace()
                guard index < bytes.count else { throw fail("unexpected end of input in an array") }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
                index += 1
            }
        }

        private mutating func number() throws(SyntaxError) -> JSONTree {
            let start = index
            func digits(_ p: inout Parser) -> Int {
                let from = p.index
                while p.index < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.index]) {
                    p.index += 1
                }
                return p.index - from
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw fail("invalid number") }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw fail("invalid number") }
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw fail("invalid number") }
            }
            return .number(String(decoding: bytes[start..<index], as: UTF8.self))
        }

        private mutating func string() throws(SyntaxError) -> String {
            index += 1
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { index += 1; return String(decoding: out, as: UTF8.self) }
                if byte < 0x20 { throw fail("control character in a string") }
                if byte != UInt8(ascii: "\\") { out.append(byte); index += 1; continue }
                index += 1
                guard index < bytes.count else { break }
                switch bytes[index] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(bytes[index])
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard index + 4 < bytes.count,
                          let code = UInt32(String(decoding: bytes[index + 1...index + 4], as: UTF8.self), radix: 16)
                    else { throw fail("invalid \\u escape") }
                    // Lone surrogates become U+FFFD; keys with them are never valid spec keys anyway.
                    out.append(contentsOf: Array(String(UnicodeScalar(code).map(Character.init) ?? "\u{FFFD}").utf8))
                    index += 4
                default: throw fail("invalid escape")
                }
                index += 1
            }
            throw fail("unterminated string")
        }
    }
}
