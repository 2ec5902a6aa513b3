// JSONWriter: a JSONValue back to UTF-8 text, compact or indented, with object keys in their own
// order or sorted. The indented form is Go's json.MarshalIndent(v, "", "  ") — what runc prints —
// so `state` and `spec` read the same from berth-runtime as from runc: `"key": value`, two spaces
// per level, `{}` and `[]` for empty containers. Strings escape only what RFC 8259 requires
// (quote, backslash, control characters); `/` and non-ASCII characters are written as they are.

/// How a document is laid out.
public struct JSONFormat: Sendable, Equatable {
    /// Newlines and two-space indentation.
    public var pretty: Bool
    /// Object keys in byte order of their UTF-8 (as Go sorts map keys) instead of their own order.
    public var sortedKeys: Bool

    public init(pretty: Bool, sortedKeys: Bool) {
        self.pretty = pretty
        self.sortedKeys = sortedKeys
    }

    /// One line, keys as encoded (struct fields in declaration order).
    public static let compact = JSONFormat(pretty: false, sortedKeys: false)
    /// One line, keys sorted.
    public static let compactSorted = JSONFormat(pretty: false, sortedKeys: true)
    /// Indented, keys sorted.
    public static let prettySorted = JSONFormat(pretty: true, sortedKeys: true)
}

public enum JSONWriter {
    /// The text of `value` in `format`, without a trailing newline.
    public static func write(_ value: JSONValue, _ format: JSONFormat = .compact) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, format, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, _ format: JSONFormat, indent: Int, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            guard !items.isEmpty else { out.append(contentsOf: "[]".utf8); return }
            out.append(ascii("["))
            for (position, item) in items.enumerated() {
                if position > 0 { out.append(ascii(",")) }
                newline(format, indent + 1, into: &out)
                write(item, format, indent: indent + 1, into: &out)
            }
            newline(format, indent, into: &out)
            out.append(ascii("]"))
        case .object(let members):
            guard !members.isEmpty else { out.append(contentsOf: "{}".utf8); return }
            let ordered = format.sortedKeys
                ? members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : members
            out.append(ascii("{"))
            for (position, member) in ordered.enumerated() {
                if position > 0 { out.append(ascii(",")) }
                newline(format, indent + 1, into: &out)
                writeString(member.key, into: &out)
                out.append(ascii(":"))
                if format.pretty { out.append(ascii(" ")) }
                write(member.value, format, indent: indent + 1, into: &out)
            }
            newline(format, indent, into: &out)
            out.append(ascii("}"))
        }
    }

    private static func newline(_ format: JSONFormat, _ indent: Int, into out: inout [UInt8]) {
        guard format.pretty else { return }
        out.append(ascii("\n"))
        out.append(contentsOf: repeatElement(ascii(" "), count: 2 * indent))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A string literal: quote, backslash and control characters escaped, everything else as is.
    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(ascii("\""))
        for byte in text.utf8 {
            switch byte {
            case ascii("\""): out.append(contentsOf: [ascii("\\"), ascii("\"")])
            case ascii("\\"): out.append(contentsOf: [ascii("\\"), ascii("\\")])
            case 0x0A: out.append(contentsOf: [ascii("\\"), ascii("n")])
            case 0x0D: out.append(contentsOf: [ascii("\\"), ascii("r")])
            case 0x09: out.append(contentsOf: [ascii("\\"), ascii("t")])
            case 0x08: out.append(contentsOf: [ascii("\\"), ascii("b")])
            case 0x0C: out.append(contentsOf: [ascii("\\"), ascii("f")])
            case 0..<0x20:
                out.append(contentsOf: [ascii("\\"), ascii("u"), ascii("0"), ascii("0")])
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(ascii("\""))
    }
}
