// ProcessTable: one process as `ps -ef` prints it (UID PID PPID C STIME TTY TIME CMD), read
// from /proc, for `berth top`.
import Foundation
import Glibc

enum ProcessTable {
    static func row(pid: Int32) -> [String]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let comm = stat[stat.index(after: stat.firstIndex(of: "(") ?? stat.startIndex)..<close]
        let fields = stat[stat.index(after: close)...].split(separator: " ")  // fields[0] is the state (stat field 3)
        guard fields.count > 19 else { return nil }
        let ppid = String(fields[1])
        let ttyNumber = Int(fields[4]) ?? 0
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let cpuSeconds = Int(((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks)
        let startSeconds = (Double(fields[19]) ?? 0) / ticks
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(separator: "\t").dropFirst().first.map(String.init) ?? "?"
        let user = uid == "0" ? "root" : uid
        let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        let args = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return [user, "\(pid)", ppid, "0", startTime(bootOffset: startSeconds), tty(ttyNumber), cpuTime(cpuSeconds),
                args.isEmpty ? "[\(comm)]" : args.joined(separator: " ")]
    }

    /// HH:MM of a process that started `bootOffset` seconds after boot.
    static func startTime(bootOffset: Double) -> String {
        let uptime = ((try? String(contentsOfFile: "/proc/uptime", encoding: .utf8)) ?? "").split(separator: " ").first.flatMap { Double($0) } ?? 0
        let started = Date().addingTimeInterval(bootOffset - uptime)
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm"
        return formatter.string(from: started)
    }

    static func tty(_ number: Int) -> String {
        guard number != 0 else { return "?" }
        let major = (number >> 8) & 0xFFF
        let minor = (number & 0xFF) | ((number >> 12) & 0xFFF00)
        return major == 136 ? "pts/\(minor)" : "tty\(minor)"
    }

    static func cpuTime(_ seconds: Int) -> String {
        String(format: "%02d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60)
    }
}
