// JSONLogEntry: one line of docker's json-file log format, built from raw bytes without a JSON
// library — `{"log":"text\n","stream":"stdout","time":"2026-11-23T23:59:01.123456789Z"}`. The
// text is escaped as JSON requires (quote, backslash, control characters) and any byte sequence
// that is not valid UTF-8 becomes U+FFFD, so the line is always valid JSON whatever the
// container printed. The time is RFC 3339 in UTC with nanoseconds, trailing zeros trimmed as
// Go's RFC3339Nano does (what docker writes and `docker logs --since` reads).
import Glibc

public enum JSONLogEntry {
    /// Appends the entry for `text` (one line with its "\n", or a partial line without) to `out`.
    public static func append(text: ArraySlice<UInt8>, stream: String, time: timespec, to out: inout [UInt8]) {
        append(text: text, suffix: suffix(stream: stream, time: time), to: &out)
    }

    /// What follows the text in every entry of `stream` at `time`: `","stream":"…","time":"…"}` and
    /// the newline. The lines of one read share it, so it is built once per read, not per line.
    public static func suffix(stream: String, time: timespec) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        out.append(contentsOf: #"","stream":""#.utf8)
        out.append(contentsOf: stream.utf8)
        out.append(contentsOf: #"","time":""#.utf8)
        appendTimestamp(time, to: &out)
        out.append(contentsOf: "\"}\n".utf8)
        return out
    }

    /// Appends the entry for `text` ending with a `suffix` made by `suffix(stream:time:)`.
    public static func append(text: ArraySlice<UInt8>, suffix: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: prefix)
        appendEscaped(text, to: &out)
        out.append(contentsOf: suffix)
    }

    private static let prefix: [UInt8] = Array(#"{"log":""#.utf8)
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)
    private static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Whether `byte` goes into a JSON string as it is: printable ASCII other than `"` and `\`.
    @inline(__always)
    private static func isPlain(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }

    /// JSON string escaping of UTF-8 bytes; invalid sequences are replaced, one U+FFFD per bad byte.
    /// Runs of plain bytes (nearly all of a log) are copied whole.
    static func appendEscaped(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            var run = i
            bytes.withUnsafeBufferPointer { buffer in
                let base = bytes.startIndex
                while run < end && isPlain(buffer[run - base]) { run += 1 }
            }
            if run > i {
                out.append(contentsOf: bytes[i..<run])
                i = run
                if i == end { break }
            }
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
                i += 1
                continue
            }
            if byte < 0x20 {
                switch byte {
                case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
                default:
                    out.append(contentsOf: #"\u00"#.utf8)
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0x0F)])
                }
                i += 1
                continue
            }
            let length = validSequenceLength(bytes, at: i)
            if length == 0 {
                out.append(contentsOf: replacement)
                i += 1
            } else {
                out.append(contentsOf: bytes[i..<i + length])
                i += length
            }
        }
    }

    /// The length of the well-formed UTF-8 sequence starting at `i` (a non-ASCII lead byte), or 0.
    private static func validSequenceLength(_ bytes: ArraySlice<UInt8>, at i: Int) -> Int {
        let lead = bytes[i]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F  // no UTF-16 surrogates
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F  // nothing past U+10FFFF
        default: return 0
        }
        guard bytes.endIndex - i >= length else { return 0 }
        let second = bytes[i + 1]
        guard second >= low && second <= high else { return 0 }
        for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return 0 }
        return length
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` for `time` in UTC.
    static func appendTimestamp(_ time: timespec, to out: inout [UInt8]) {
        let seconds = Int64(time.tv_sec)
        var days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        appendDigits(year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, width: 2, to: &out)
        var nanoseconds = Int64(time.tv_nsec)
        if nanoseconds > 0 {
            var width = 9
            while nanoseconds % 10 == 0 { nanoseconds /= 10; width -= 1 }
            out.append(UInt8(ascii: "."))
            appendDigits(nanoseconds, width: width, to: &out)
        }
        out.append(UInt8(ascii: "Z"))
    }

    private static func appendDigits(_ value: Int64, width: Int, to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var rest = value
        var index = start + width - 1
        while index >= start {
            out[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            index -= 1
        }
    }
}
