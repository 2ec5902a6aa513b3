// JSONString: the two bits of JSON the shim reads from runtimes, without a JSON library — a
// string member of a one-line object (the `msg` of runc's JSON log) and a flat array of integers
// (`ps --format json`). Anything more needs a real parser, which the shim does not carry.

public enum JSONString {
    /// The string value of member `key` in a single JSON object line, unescaped; nil if absent.
    public static func value<Line: StringProtocol>(of key: String, in line: Line) -> String? {
        let scalars = Array(line.unicodeScalars)
        let needle = Array("\"\(key)\"".unicodeScalars)
        var i = 0
        while i + needle.count <= scalars.count {
            if Array(scalars[i..<i + needle.count]) == needle {
                var j = i + needle.count
                while j < scalars.count, scalars[j] == " " { j += 1 }
                guard j < scalars.count, scalars[j] == ":" else { i += 1; continue }
                j += 1
                while j < scalars.count, scalars[j] == " " { j += 1 }
                guard j < scalars.count, scalars[j] == "\"" else { return nil }
                return unescape(scalars, from: j + 1)
            }
            i += 1
        }
        return nil
    }

    private static func unescape(_ s: [Unicode.Scalar], from start: Int) -> String? {
        var out = String.UnicodeScalarView()
        var i = start
        while i < s.count {
            let c = s[i]
            if c == "\"" { return String(out) }
            if c == "\\" {
                i += 1
                guard i < s.count else { return nil }
                switch s[i] {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "b": out.append("\u{8}")
                case "f": out.append("\u{c}")
                case "u":
                    guard i + 4 < s.count,
                          let code = UInt32(String(String.UnicodeScalarView(s[(i + 1)...(i + 4)])), radix: 16) else { return nil }
                    out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    i += 4
                default: out.append(s[i])  // \" \\ \/
                }
            } else {
                out.append(c)
            }
            i += 1
        }
        return nil
    }

    /// The integers of a flat JSON array such as `[12,34]` or `null`; nil if it is anything else.
    public static func integers(in bytes: [UInt8]) -> [Int]? {
        let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
        if text == "null" { return [] }
        guard text.hasPrefix("["), text.hasSuffix("]") else { return nil }
        let body = text.dropFirst().dropLast()
        if body.isEmpty { return [] }
        var result: [Int] = []
        for part in body.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Int(part) else { return nil }
            result.append(value)
        }
        return result
    }
}
