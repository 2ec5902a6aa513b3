// Linux: system calls Swift's Glibc module hides — pidfds, close_range, memfd, gettid — as
// throwing Swift functions. Namespaces are in Linux+Namespaces.swift, prctl in Linux+Prctl.swift.
import CLinux
import Errdefs
import Glibc

/// Namespace for Linux-specific system calls. Every function throws CoreError whose cause is
/// a SystemCallFailure with the call's name, the path it touched (if any) and errno.
public enum Linux {
    /// A pidfd for `pid` (pidfd_open, Linux >= 5.3): a handle that cannot be confused with a
    /// recycled pid. It is always close-on-exec.
    public static func pidfdOpen(_ pid: pid_t, nonBlocking: Bool = false) throws(CoreError) -> FileDescriptor {
        let flags: UInt32 = nonBlocking ? PIDFD_NONBLOCK : 0
        return FileDescriptor(adopting: try checked("pidfd_open") { berth_pidfd_open(pid, flags) })
    }

    /// Sends `signal` to the process behind `pidfd` (pidfd_send_signal): ESRCH if it has exited,
    /// even when its pid was reused meanwhile.
    public static func pidfdSendSignal(_ pidfd: FileDescriptor, signal: Int32) throws(CoreError) {
        try pidfd.withRawValue { (raw: Int32) throws(CoreError) in
            _ = try checked("pidfd_send_signal") { berth_pidfd_send_signal(raw, signal, 0) }
        }
    }

    /// Marks (`closeOnExec`, the default) or closes every descriptor from `first` to `last`
    /// (close_range). Closing outright is for single-threaded processes about to exec: in a
    /// multi-threaded one it would pull descriptors from under other threads.
    public static func closeRange(from first: UInt32, to last: UInt32 = .max, closeOnExec: Bool = true) throws(CoreError) {
        let flags: UInt32 = closeOnExec ? CLOSE_RANGE_CLOEXEC : 0
        _ = try checked("close_range") { berth_close_range(first, last, flags) }
    }

    /// An anonymous, close-on-exec memory file (memfd_create), e.g. for a seccomp program or a
    /// re-exec'd binary. `name` appears in /proc/<pid>/fd as "memfd:<name>".
    public static func memfdCreate(name: String, allowSealing: Bool = false) throws(CoreError) -> FileDescriptor {
        let flags = MFD_CLOEXEC | (allowSealing ? MFD_ALLOW_SEALING : 0)
        return FileDescriptor(adopting: try checked("memfd_create", path: name) { berth_memfd_create(name, flags) })
    }

    /// Joins a new session keyring called `name` (keyctl KEYCTL_JOIN_SESSION_KEYRING), as runc
    /// gives each container its own, so it cannot read the keys of whoever started it.
    @discardableResult
    public static func joinSessionKeyring(name: String) throws(CoreError) -> Int {
        let serial = name.withCString { berth_join_session_keyring($0) }
        guard serial >= 0 else { throw CoreError(SystemCallFailure(call: "keyctl(JOIN_SESSION_KEYRING)", path: name, errno: errno)) }
        return serial
    }

    /// The calling thread's kernel thread id.
    public static func gettid() -> pid_t {
        berth_gettid()
    }

    /// The number of threads in this process ("Threads:" in /proc/self/status), for asserting
    /// the single-thread rule before `unshare` or `setns`.
    public static func threadCount() throws(CoreError) -> Int {
        let status = try FileDescriptor.open("/proc/self/status", flags: O_RDONLY).readToEnd()
        for line in String(decoding: status, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Threads:") {
            if let count = Int(line.dropFirst("Threads:".count).trimmingPrefixWhitespace()) {
                return count
            }
        }
        throw CoreError(.internal, "no Threads: line in /proc/self/status")
    }
}

extension Substring {
    /// The substring without leading spaces and tabs.
    fileprivate func trimmingPrefixWhitespace() -> Substring {
        drop(while: { $0 == " " || $0 == "\t" })
    }
}

extension Linux {
    /// fsetxattr(2) on an open file.
    public static func setExtendedAttribute(fd: Int32, name: String, value: [UInt8], path: String = "") throws(CoreError) {
        let result = value.withUnsafeBytes { berth_fsetxattr(fd, name, $0.baseAddress, $0.count) }
        guard result == 0 else { throw CoreError(SystemCallFailure(call: "fsetxattr(\(name))", path: path, errno: errno)) }
    }

    /// lsetxattr(2) on a path (a final symlink is not followed).
    public static func setExtendedAttribute(path: String, name: String, value: [UInt8]) throws(CoreError) {
        let result = value.withUnsafeBytes { berth_lsetxattr(path, name, $0.baseAddress, $0.count) }
        guard result == 0 else { throw CoreError(SystemCallFailure(call: "lsetxattr(\(name))", path: path, errno: errno)) }
    }

    /// lgetxattr(2): the attribute's value, or nil when the file has none (ENODATA).
    public static func extendedAttribute(path: String, name: String) throws(CoreError) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let length = buffer.withUnsafeMutableBytes { berth_lgetxattr(path, name, $0.baseAddress, $0.count) }
        if length < 0 {
            if errno == ENODATA { return nil }
            throw CoreError(SystemCallFailure(call: "lgetxattr(\(name))", path: path, errno: errno))
        }
        return Array(buffer[0..<length])
    }
}
