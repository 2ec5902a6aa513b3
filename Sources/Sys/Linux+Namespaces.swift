// Linux+Namespaces: unshare, setns and pivot_root. These change the calling process's view of
// the system and only work as intended in a process that is single-threaded by construction
// (see docs: the runtime re-execs itself for namespace work; daemons never call these).
import CLinux
import Errdefs
import Glibc

extension Linux {
    /// A set of namespace kinds, as CLONE_NEW* flags.
    public struct Namespaces: OptionSet, Sendable, Hashable {
        /// The flag bits.
        public let rawValue: Int32
        /// The set with flag bits `rawValue`.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// Mount namespace (CLONE_NEWNS).
        public static let mount = Namespaces(rawValue: CLONE_NEWNS)
        /// Hostname and domain name (CLONE_NEWUTS).
        public static let uts = Namespaces(rawValue: CLONE_NEWUTS)
        /// System V IPC and POSIX message queues (CLONE_NEWIPC).
        public static let ipc = Namespaces(rawValue: CLONE_NEWIPC)
        /// User and group ids, capabilities (CLONE_NEWUSER).
        public static let user = Namespaces(rawValue: CLONE_NEWUSER)
        /// Process ids; takes effect for children forked afterwards (CLONE_NEWPID).
        public static let pid = Namespaces(rawValue: CLONE_NEWPID)
        /// Network devices, addresses, routes, ports (CLONE_NEWNET).
        public static let network = Namespaces(rawValue: CLONE_NEWNET)
        /// The cgroup root view (CLONE_NEWCGROUP).
        public static let cgroup = Namespaces(rawValue: CLONE_NEWCGROUP)
        /// CLOCK_MONOTONIC/BOOTTIME offsets; for children forked afterwards (CLONE_NEWTIME).
        public static let time = Namespaces(rawValue: CLONE_NEWTIME)
    }

    /// Moves the caller into new `namespaces` (unshare).
    ///
    /// The kernel refuses `.user` with EINVAL once the process has more than one thread, and
    /// `.mount` and friends then apply to the calling thread only: call this only from a process
    /// that is single-threaded by construction (no Task, Dispatch or NIO before it).
    public static func unshare(_ namespaces: Namespaces) throws(CoreError) {
        _ = try checked("unshare") { berth_unshare(namespaces.rawValue) }
    }

    /// Joins the namespace(s) behind `fd` (setns): a /proc/<pid>/ns/<kind> descriptor, where
    /// `type` may be empty (any kind) or must match, or a pidfd, where `type` names the kinds to
    /// join at once (Linux >= 5.8). Same single-thread rule as `unshare`.
    public static func setns(fd: FileDescriptor, type: Namespaces = []) throws(CoreError) {
        try fd.withRawValue { (raw: Int32) throws(CoreError) in
            _ = try checked("setns") { berth_setns(raw, type.rawValue) }
        }
    }

    /// Makes `new` the root mount and moves the old root under `old` (pivot_root). `new` must be
    /// a mount point; runc's form is `pivotRoot(new: ".", old: ".")` after fchdir to the rootfs,
    /// followed by unmounting "." with MNT_DETACH.
    public static func pivotRoot(new: String, old: String) throws(CoreError) {
        _ = try checked("pivot_root", path: new) { berth_pivot_root(new, old) }
    }
}
