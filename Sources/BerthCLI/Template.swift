// Template: docker's --format for the common cases — Go-template actions on a field path
// ({{.ID}}, {{.State.Status}}), {{json .}} and {{json .Field}}, `table ...` (a header row, columns
// aligned like Go's tabwriter), and the shorthand `json` (one JSON object per line). Values are
// plain dictionaries, arrays, strings, numbers and booleans.
import Foundation

struct Template {
    enum Part {
        case text(String)
        case field([String], json: Bool)
    }

    let parts: [Part]
    let isTable: Bool

    init(_ format: String) throws {
        var text = format
        if text == "json" { text = "{{json .}}" }
        isTable = text.hasPrefix("table ")
        if isTable { text.removeFirst("table ".count) }
        text = Self.unescapingTabsAndNewlines(text)
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = Self.firstRange(of: "{{", in: rest) {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = Self.firstRange(of: "}}", in: rest[open.upperBound...]) else {
                throw CLIError(message: "template: unclosed action in \"\(format)\"", code: 125)
            }
            var action = Self.trimmingSpaces(rest[open.upperBound..<close.lowerBound])
            var json = false
            if action.hasPrefix("json ") {
                json = true
                action = Self.trimmingSpaces(action.dropFirst(5))
            }
            guard action.hasPrefix(".") else {
                throw CLIError(message: "template: unsupported action \"{{\(action)}}\" (fields like {{.ID}} and {{json .}} are supported)", code: 125)
            }
            parts.append(.field(action.dropFirst().split(separator: ".").map(String.init), json: json))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    // The command line's strings are handled with the standard library alone: Foundation's string
    // methods start CoreFoundation and bridge through NSString, which cost `berth ps` a part of
    // its start-up on every call.

    /// The two-character sequences `\t` and `\n` of a format as a tab and a newline.
    static func unescapingTabsAndNewlines(_ text: String) -> String {
        var out = ""
        var escaped = false
        for character in text {
            if escaped {
                escaped = false
                switch character {
                case "t": out.append("\t"); continue
                case "n": out.append("\n"); continue
                default: out.append("\\")
                }
            }
            if character == "\\" { escaped = true } else { out.append(character) }
        }
        if escaped { out.append("\\") }
        return out
    }

    static func firstRange(of needle: String, in text: Substring) -> Range<Substring.Index>? {
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix(needle) { return index..<text.index(index, offsetBy: needle.count) }
            index = text.index(after: index)
        }
        return nil
    }

    static func trimmingSpaces(_ text: Substring) -> String {
        var trimmed = text
        while trimmed.first?.isWhitespace == true { trimmed.removeFirst() }
        while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
        return String(trimmed)
    }

    func render(_ value: [String: Any]) throws -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .field(let path, let json):
                var current: Any? = value
                for key in path {
                    guard let dictionary = current as? [String: Any] else { current = nil; break }
                    guard dictionary.keys.contains(key) else {
                        throw CLIError(message: "template: can't evaluate field \(key)", code: 125)
                    }
                    current = dictionary[key]
                }
                out += json ? Self.json(current ?? NSNull()) : Self.plain(current)
            }
        }
        return out
    }

    /// The header of a table: each field's name in docker's capitals.
    func header(_ names: [String: String]) -> String {
        parts.map { part in
            switch part {
            case .text(let text): text
            case .field(let path, _): names[path.joined(separator: ".")] ?? path.joined(separator: ".").uppercased()
            }
        }.joined()
    }

    static func plain(_ value: Any?) -> String {
        switch value {
        case let string as String: return string  // first: most values are, and it is the cheapest test
        case nil, is NSNull: return "<no value>"
        case let bool as Bool: return bool ? "true" : "false"
        case let array as [Any]: return "[" + array.map { plain($0) }.joined(separator: " ") + "]"
        case let dictionary as [String: Any]:
            return "map[" + dictionary.keys.sorted().map { "\($0):\(plain(dictionary[$0]))" }.joined(separator: " ") + "]"
        default: return "\(value!)"
        }
    }

    static func json(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject([value]),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) else {
            return "\"\(value)\""
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Aligns tab-separated cells like Go's tabwriter with padding 3 (docker's tables); a cell's
    /// width is its count of Unicode scalars, as tabwriter counts runes.
    static func align(_ lines: [String]) -> String {
        let rows = lines.map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        var widths: [Int] = []
        for row in rows {
            for (index, cell) in row.enumerated().dropLast() {
                if widths.count <= index { widths.append(0) }
                widths[index] = max(widths[index], cell.unicodeScalars.count)
            }
        }
        var out = ""
        for row in rows {
            for (index, cell) in row.enumerated() {
                out.append(contentsOf: cell)
                if index < row.count - 1 {
                    out.append(contentsOf: String(repeating: " ", count: widths[index] + 3 - cell.unicodeScalars.count))
                }
            }
            out.append("\n")
        }
        return out
    }
}

/// Prints `items` with `format` (a template, `json`, `table ...`) or the default table.
func printFormatted(_ items: [[String: Any]], format: String?, defaultTable: String, headers: [String: String]) throws {
    let template = try Template(format ?? defaultTable)
    if template.isTable {
        var lines = [template.header(headers)]
        for item in items { lines.append(try template.render(item)) }
        print(Template.align(lines), terminator: "")
    } else {
        for item in items { print(try template.render(item)) }
    }
}

/// "5 seconds ago", "About a minute ago" (docker's CreatedSince / RunningFor).
func ago(_ date: Date) -> String {
    let seconds = Int(Date().timeIntervalSince(date))
    if seconds < 1 { return "Less than a second ago" }
    if seconds == 1 { return "1 second ago" }
    if seconds < 60 { return "\(seconds) seconds ago" }
    let minutes = seconds / 60
    if minutes == 1 { return "About a minute ago" }
    if minutes < 60 { return "\(minutes) minutes ago" }
    let hours = Int((Double(seconds) / 3600).rounded())
    if hours == 1 { return "About an hour ago" }
    if hours < 48 { return "\(hours) hours ago" }
    if hours < 24 * 7 * 2 { return "\(hours / 24) days ago" }
    if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks ago" }
    if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months ago" }
    return "\(hours / 24 / 365) years ago"
}

/// Go's time.Time String() shape, as docker prints CreatedAt: "2026-12-06 11:39:24 +0000 UTC".
/// Calendar fields from gmtime_r, not a DateFormatter: building one loads ICU, which cost `ps`
/// a quarter of its time.
func goTime(_ date: Date) -> String {
    let utc = utcFields(date)
    return "\(utc.date) \(utc.time) +0000 UTC"
}

/// RFC 3339 with nanoseconds, as docker's JSON prints times.
func rfc3339(_ date: Date) -> String {
    let utc = utcFields(date)
    return "\(utc.date)T\(utc.time).\(zeroPadded(utc.nanos, 9))Z"
}

/// "yyyy-MM-dd" and "HH:mm:ss" in UTC, and the nanoseconds past the second.
private func utcFields(_ date: Date) -> (date: String, time: String, nanos: Int) {
    let seconds = date.timeIntervalSince1970
    var whole = Int(seconds.rounded(.down))
    let nanos = min(Int(((seconds - Double(whole)) * 1e9).rounded()), 999_999_999)
    var parts = tm()
    gmtime_r(&whole, &parts)
    let day = "\(zeroPadded(Int(parts.tm_year) + 1900, 4))-\(zeroPadded(Int(parts.tm_mon) + 1, 2))-\(zeroPadded(Int(parts.tm_mday), 2))"
    let time = "\(zeroPadded(Int(parts.tm_hour), 2)):\(zeroPadded(Int(parts.tm_min), 2)):\(zeroPadded(Int(parts.tm_sec), 2))"
    return (day, time, nanos)
}

private func zeroPadded(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// An array of objects as docker's inspect prints them (indented JSON), or each through --format:
/// the output of every `inspect` command.
func printObjects(_ objects: [[String: Any]], format: String?) throws {
    if let format {
        let template = try Template(format)
        for object in objects { print(try template.render(object)) }
        return
    }
    let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}
