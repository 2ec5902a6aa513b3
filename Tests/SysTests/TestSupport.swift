// TestSupport: small helpers the SysTests share — reading /proc, listing directories, temporary
// directories and making sure every spawned child is killed and reaped.
import Errdefs
import Glibc
import Sys

enum TestSupport {
    /// The whole file as text.
    static func readFile(_ path: String) throws -> String {
        String(decoding: try FileDescriptor.open(path, flags: O_RDONLY).readToEnd(), as: UTF8.self)
    }

    /// The names in a directory, without "." and "..", sorted numerically when they are numbers.
    static func listDirectory(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }
    }

    /// The target of a symbolic link, or "" if it cannot be read.
    static func readLink(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBufferPointer { chars in
            chars.baseAddress.map { readlink(path, $0, chars.count) } ?? -1
        }
        return count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    /// The value of `key` ("CapEff", "Threads", …) in /proc/<pid>/status.
    static func procStatus(_ key: String, pid: String = "self") throws -> String? {
        for line in try readFile("/proc/\(pid)/status").split(separator: "\n") where line.hasPrefix("\(key):") {
            return String(line.dropFirst(key.count + 1).drop(while: { $0 == " " || $0 == "\t" }))
        }
        return nil
    }

    /// The fields of /proc/<pid>/stat after the command name: [0] is the state, [1] ppid,
    /// [2] process group, [3] session.
    static func procStat(_ pid: pid_t) throws -> [Substring] {
        let stat = try readFile("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")") else { return [] }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// A new empty directory under /tmp; remove it with `removeDirectory`.
    static func makeTemporaryDirectory() throws -> String {
        var template = Array("/tmp/berth-systests-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard made != nil else { throw CoreError(SystemCallFailure(call: "mkdtemp", errno: errno)) }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes `files` inside `directory`, then the directory.
    static func removeDirectory(_ directory: String, files: [String] = []) {
        for file in files { unlink("\(directory)/\(file)") }
        rmdir(directory)
    }

    /// SIGKILLs `pid` (if still running) and reaps it, so no test leaves a child behind.
    static func killAndReap(_ pid: pid_t) {
        kill(pid, SIGKILL)
        _ = try? Spawn.waitForExit(pid)
    }

    /// /dev/null opened read-write, for stdio a child must not share with the test runner.
    static func devNull() throws -> FileDescriptor {
        try FileDescriptor.open("/dev/null", flags: O_RDWR)
    }
}
