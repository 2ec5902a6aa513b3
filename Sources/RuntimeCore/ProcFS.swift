// ProcFS: the few /proc reads the runtime needs: a process's start time (to tell a live container
// from a recycled pid), its state, and whether it is still there.
#if canImport(Glibc)
import Glibc
#endif

enum ProcFS {
    /// Reads a small file whole as text; nil if it cannot be read.
    static func read(_ path: String) -> String? {
        readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Reads a small file whole; nil if it cannot be read.
    static func readBytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return out
    }

    /// Field 22 of /proc/PID/stat (start time in clock ticks since boot), and field 3 (state).
    static func stat(_ pid: Int32) -> (startTime: UInt64, state: Character)? {
        guard let text = read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces and parentheses) start at field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let start = UInt64(fields[19]), let state = fields[0].first else { return nil }
        return (start, state)
    }

    /// True while the process with this pid is the one that started at `startTime` and is not a zombie.
    static func isAlive(_ pid: Int32, startTime: UInt64) -> Bool {
        guard pid > 0, let s = stat(pid) else { return false }
        return s.startTime == startTime && s.state != "Z" && s.state != "X"
    }

    /// `pid`'s descendants, found through /proc/PID/task/TID/children, breadth first. Used when
    /// a container has no cgroup to list (a rootless one); a process that double-forked away is
    /// not found, which is why containers normally go by cgroup.
    static func descendants(of pid: Int32) -> [Int32] {
        var found: [Int32] = [], queue = [pid]
        while let next = queue.popLast() {
            let tasks = (try? listDirectory("/proc/\(next)/task")) ?? []
            for tid in tasks {
                let children = (read("/proc/\(next)/task/\(tid)/children") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" })
                for child in children {
                    if let c = Int32(child), !found.contains(c) { found.append(c); queue.append(c) }
                }
            }
        }
        return found
    }

    private static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
