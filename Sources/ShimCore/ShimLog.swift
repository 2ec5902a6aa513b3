// ShimLog: the shim's own log lines, logrus-style (`time="…" level=… msg="…"`), written to
// stderr — which the daemon points at the bundle's `log` fifo when containerd made one (it copies
// that fifo into its own log), else /dev/null. Never the container's stdio. A full fifo drops
// lines rather than block the loop.
import Glibc

public struct ShimLog: Sendable {
    public var debugEnabled: Bool
    private let fd: Int32

    public init(debug: Bool = false, fd: Int32 = 2) {
        debugEnabled = debug
        self.fd = fd
    }

    public func debug(_ message: @autoclosure () -> String) {
        if debugEnabled { write("debug", message()) }
    }
    public func info(_ message: String) { write("info", message) }
    public func warn(_ message: String) { write("warning", message) }
    public func error(_ message: String) { write("error", message) }

    private func write(_ level: String, _ message: String) {
        var escaped = ""
        for char in message {
            switch char {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(char)
            }
        }
        let line = Array("time=\"\(Self.timestamp())\" level=\(level) msg=\"\(escaped)\"\n".utf8)
        _ = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    /// Now in RFC 3339 with nanoseconds, UTC.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(now.tv_nsec), 9))Z"
    }
}
