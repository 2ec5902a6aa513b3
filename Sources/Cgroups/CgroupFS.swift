// CgroupFS: the few filesystem operations every cgroup manager is built from — write a control
// file, read one, make and remove cgroup directories, list the processes in a subtree — with each
// failure reported as CoreError(SystemCallFailure(call, path, errno)).
import Errdefs
import Glibc

/// Filesystem helpers for cgroupfs (v1) and cgroup2 directories. They work the same on plain
/// directories, which is what the fixture tests use.
enum CgroupFS {
    /// Writes `value` to `dir/file` in one write(2), truncating first, as runc's WriteFile does.
    /// Each write to a cgroup control file is one command, so the value must not be split.
    static func write(_ dir: String, _ file: String, _ value: String) throws(CoreError) {
        try writeBytes(join(dir, file), value, flags: O_WRONLY | O_TRUNC, shown: value)
    }

    /// Appends `line` plus a newline to `dir/file`, for files that take a sequence of commands
    /// (devices.allow, io.max, cgroup.subtree_control): the kernel ignores the offset and the
    /// trailing newline, and on a plain file (a test fixture) every command stays visible.
    static func appendLine(_ dir: String, _ file: String, _ line: String) throws(CoreError) {
        try writeBytes(join(dir, file), line + "\n", flags: O_WRONLY | O_APPEND, shown: line)
    }

    /// The contents of `dir/file`.
    static func read(_ dir: String, _ file: String) throws(CoreError) -> String {
        let path = join(dir, file)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", path) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The contents of `dir/file` without surrounding whitespace, or nil if it does not exist.
    static func readTrimmed(_ dir: String, _ file: String) throws(CoreError) -> String? {
        do {
            return try read(dir, file).trimmingWhitespace()
        } catch {
            if error.cause?.errno == ENOENT { return nil }
            throw error
        }
    }

    /// `dir/file` parsed as an unsigned integer ("max" reads as nil), or nil if it is missing.
    static func readUInt64(_ dir: String, _ file: String) throws(CoreError) -> UInt64? {
        guard let text = try readTrimmed(dir, file) else { return nil }
        return UInt64(text)
    }

    /// Whether `path` exists (following symlinks, as `cpu` → `cpu,cpuacct` links need).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Whether `path` is a directory (following symlinks).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Creates `dir` (mode 0755); an existing directory is fine.
    static func makeDirectory(_ dir: String) throws(CoreError) {
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw failure("mkdir", dir)
        }
    }

    /// The directories from just below `top` down to `dir`, outermost first
    /// ("/a", "/a/b/c" → "/a/b", "/a/b/c"). Empty when `dir` is `top` or not below it.
    static func chain(from top: String, to dir: String) -> [String] {
        guard dir.hasPrefix(top + "/") else { return [] }
        var current = top
        var result: [String] = []
        for component in dir.dropFirst(top.count).split(separator: "/") {
            current += "/" + component
            result.append(current)
        }
        return result
    }

    /// Removes the cgroup `dir` and any sub-cgroups, deepest first. A missing directory counts as
    /// removed. Nothing is killed. With `waitForBusy`, EBUSY (tasks still exiting) is retried for
    /// about 0.6 s with growing pauses, as runc's RemovePath does; callers removing several
    /// hierarchies pass false after one has waited in vain, since the same tasks hold them all.
    static func removeTree(_ dir: String, waitForBusy: Bool = true) throws(CoreError) {
        if rmdir(dir) == 0 || errno == ENOENT { return }
        for child in try subdirectories(dir) {
            try removeTree(join(dir, child), waitForBusy: waitForBusy)
        }
        var delayMicroseconds: UInt32 = 1000
        let attempts = waitForBusy ? 10 : 0
        for attempt in 0...attempts {
            if rmdir(dir) == 0 || errno == ENOENT { return }
            let code = errno
            guard code == EBUSY || code == EINTR, attempt < attempts else { throw failure("rmdir", dir, code) }
            if code == EBUSY {
                usleep(delayMicroseconds)
                delayMicroseconds = min(delayMicroseconds * 2, 200_000)
            }
        }
    }

    /// The names of the subdirectories of `dir` (not following symlinks); empty if `dir` is gone.
    static func subdirectories(_ dir: String) throws(CoreError) -> [String] {
        guard let stream = opendir(dir) else {
            if errno == ENOENT { return [] }
            throw failure("opendir", dir)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Every pid in `dir/cgroup.procs` and in the cgroup.procs of all sub-cgroups. Sub-cgroups
    /// that vanish meanwhile are skipped; a missing `dir` is an error.
    static func processes(inTree dir: String) throws(CoreError) -> [Int32] {
        var pids = try processes(in: dir)
        for child in try subdirectories(dir) {
            do {
                pids += try processes(inTree: join(dir, child))
            } catch {
                if error.cause?.errno != ENOENT && error.cause?.errno != ENODEV { throw error }
            }
        }
        return pids
    }

    /// The pids listed in `dir/cgroup.procs`.
    static func processes(in dir: String) throws(CoreError) -> [Int32] {
        try read(dir, "cgroup.procs").split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
    }

    /// Writes `pid` to `dir/cgroup.procs`. EINVAL can mean the task is still being created
    /// (TASK_NEW), so it is retried a few times as runc's WriteCgroupProc does.
    static func addProcess(_ pid: Int32, to dir: String) throws(CoreError) {
        for attempt in 0..<5 {
            do {
                return try write(dir, "cgroup.procs", String(pid))
            } catch {
                guard error.cause?.errno == EINVAL, attempt < 4 else {
                    throw CoreError(error.cause ?? SystemCallFailure(call: "write", errno: EIO), context: "add process \(pid) to cgroup")
                }
                usleep(30_000)
            }
        }
    }

    /// `dir` + "/" + `file`.
    static func join(_ dir: String, _ file: String) -> String {
        dir.hasSuffix("/") ? dir + file : dir + "/" + file
    }

    /// A CoreError for `call` on `path` with the current (or given) errno.
    static func failure(_ call: String, _ path: String, _ code: Int32 = errno) -> CoreError {
        CoreError(SystemCallFailure(call: call, path: path, errno: code))
    }

    /// Writes `text` in one write(2); errors name the file and the value `shown`.
    private static func writeBytes(_ path: String, _ text: String, flags: Int32, shown: String) throws(CoreError) {
        let fd = open(path, flags | O_CLOEXEC)
        guard fd >= 0 else {
            throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno), context: "write \"\(shown)\"")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        while true {
            let wrote = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if wrote == bytes.count { return }
            if wrote < 0 && errno == EINTR { continue }
            // A short write to a control file would split the command: report it as EIO.
            let failure = SystemCallFailure(call: "write", path: path, errno: wrote < 0 ? errno : EIO)
            throw CoreError(failure, context: "write \"\(shown)\"")
        }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
