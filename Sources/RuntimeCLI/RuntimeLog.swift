// RuntimeLog: how the runtime reports errors, as runc does: to stderr as text, and when --log is
// given also to that file, as text or one JSON object per line ({"level","msg","time"}), which is
// what containerd's runc shim reads back to explain a failure.
#if canImport(Glibc)
import Glibc
#endif
import RuntimeCore

struct RuntimeLog {
    var path: String?
    var format: LogFormat

    func error(_ message: String) {
        let time = timestamp()
        let text = "time=\"\(time)\" level=error msg=\"\(escape(message))\"\n"
        _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
        guard let path else { return }
        let line = format == .json
            ? "{\"level\":\"error\",\"msg\":\"\(escape(message))\",\"time\":\"\(time)\"}\n"
            : text
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    private func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private func timestamp() -> String {
        var t = time(nil)
        var tm = tm()
        gmtime_r(&t, &tm)
        var buffer = [CChar](repeating: 0, count: 32)
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &tm)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
