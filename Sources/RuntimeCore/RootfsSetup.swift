// RootfsSetup: the container's root filesystem, built by the init inside its new mount namespace
// in runc's order (libcontainer/rootfs_linux.go, standard_init_linux.go):
//
//   prepare()   "/" made rslave (default) → rootfs bound onto itself → each spec mount in order →
//               /dev nodes and links                                        (+Mounts, +Cgroup, +Devices)
//   — the init sets up the console here, while the host's /dev/pts is still reachable —
//   enter()     pivot_root into the rootfs and detach the old root (or MS_MOVE + chroot)  (+Paths)
//   — hostname, sysctl —
//   finalize()  deferred read-only remounts → root.readonly → readonlyPaths → maskedPaths  (+Paths)
//
// Runs in the single-threaded init between unshare and execve: Glibc calls only, no Foundation,
// and every failure is a ChildFailure naming the stage, the path and errno, which the init sends
// to `create` over the sync socket.
#if canImport(Glibc)
import Glibc
#endif
import OCI

/// Builds and enters a container's root filesystem. Every method must run inside the container's
/// own mount namespace; `prepare()` and `enter()` before the process image changes, in that order.
struct RootfsSetup {
    /// The container's config.
    let spec: Spec
    /// Absolute host path of the rootfs, without symlinks (the init realpath's `root.path`).
    let rootfs: String
    /// `--no-pivot`: MS_MOVE + chroot instead of pivot_root (for ramdisk roots, where pivot_root
    /// fails with EINVAL). Weaker: the old root stays reachable to a process that can escape chroot.
    let noPivot: Bool

    /// Prepares a setup; nothing happens until `prepare()`.
    init(spec: Spec, rootfs: String, noPivot: Bool) {
        self.spec = spec
        // Strip trailing slashes so that "is this inside the rootfs" prefix checks are exact.
        var path = rootfs
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.rootfs = path
        self.noPivot = noPivot
    }

    /// The spec's mounts, in order.
    var mounts: [Mount] { spec.mounts ?? [] }

    /// Makes "/" non-shared, binds the rootfs onto itself, performs every spec mount and populates
    /// /dev. The host is not touched: everything happens in this mount namespace.
    func prepare() throws(ChildFailure) {
        let propagation = try rootPropagation()
        // MS_SLAVE|MS_REC by default (runc's prepareRoot): the new namespace starts as a copy of
        // the host's, with the host's propagation. Left shared, every mount below would propagate
        // back to the host; as slaves we still receive the host's later mounts (a volume plugin
        // mounting under a bind source) but send nothing back.
        try mount(nil, on: "/", type: nil, flags: propagation, data: nil, stage: "rootfs propagation", path: "/")
        // pivot_root(2) fails with EINVAL if the rootfs's parent mount is shared, and a bind of
        // the rootfs under a shared parent would leak to the host: make that parent private (or
        // slave), walking up while mount(2) says "not a mount point" (runc's
        // rootfsParentMountPropagation). Only matters when rootfsPropagation asked for shared.
        try makeRootfsParentUnshared(propagation)
        // The rootfs must be a mount point of its own for pivot_root(2), and binding it here
        // (rather than using the host's mount) keeps the container's mounts on a tree that the
        // final umount of the old root does not take along.
        try mount(rootfs, on: rootfs, type: nil, flags: UInt(MS_BIND | MS_REC), data: nil, stage: "rootfs", path: rootfs)

        for entry in mounts {
            try mountSpecEntry(entry)
        }
        // A bind-mounted /dev is the user's own (e.g. a privileged container given the host's
        // /dev): creating nodes or links in it would write to the host.
        if needsDevSetup {
            try setupDev()
        }
    }

    /// The flags for `linux.rootfsPropagation`, or MS_SLAVE|MS_REC when unset.
    func rootPropagation() throws(ChildFailure) -> UInt {
        guard let name = spec.linux?.rootfsPropagation, !name.isEmpty else {
            return UInt(MS_SLAVE | MS_REC)
        }
        guard let flags = MountOptions.propagationFlags(name) else {
            throw ChildFailure(stage: "rootfs propagation", path: "/", errno: EINVAL,
                               message: "linux.rootfsPropagation \"\(name)\" is not a propagation type")
        }
        return flags
    }

    private func makeRootfsParentUnshared(_ propagation: UInt) throws(ChildFailure) {
        let flags = propagation & UInt(MS_SLAVE) != 0 ? UInt(MS_SLAVE) : UInt(MS_PRIVATE)
        var path = rootfs
        while true {
            let code = Self.tryMount(nil, on: path, type: nil, flags: flags, data: nil)
            if code == 0 { return }
            if code != EINVAL || path == "/" {
                throw ChildFailure(stage: "rootfs propagation", path: path, errno: code,
                                   message: "making the rootfs's parent mount \(flags == UInt(MS_SLAVE) ? "slave" : "private")")
            }
            path = Self.parentDirectory(path)
        }
    }

    // MARK: - Small helpers shared by the RootfsSetup files

    /// mount(2); returns 0 or the errno it failed with, read right after the call.
    static func tryMount(_ source: String?, on target: String, type: String?, flags: UInt, data: String?) -> Int32 {
        withOptionalCString(source) { src in
            withOptionalCString(type) { fstype in
                withOptionalCString(data) { options in
                    target.withCString { dst in
                        Glibc.mount(src, dst, fstype, flags, options.map { UnsafeRawPointer($0) }) == 0 ? 0 : errno
                    }
                }
            }
        }
    }

    /// mount(2), throwing a ChildFailure for `stage` and `path` (the path as the config names it)
    /// whose message says what was being mounted where.
    func mount(
        _ source: String?, on target: String, type: String?, flags: UInt, data: String?, stage: String = "mount", path: String
    ) throws(ChildFailure) {
        let code = Self.tryMount(source, on: target, type: type, flags: flags, data: data)
        guard code == 0 else {
            throw ChildFailure(stage: stage, path: path, errno: code,
                               message: Self.describeMount(source, target, type, flags, data))
        }
    }

    /// "mount tmpfs (tmpfs) on /x/dev flags 0x1000006 data mode=755" for error messages.
    static func describeMount(_ source: String?, _ target: String, _ type: String?, _ flags: UInt, _ data: String?) -> String {
        var text = "mount \(source.map { $0.isEmpty ? "\"\"" : $0 } ?? "(none)")"
        if let type, !type.isEmpty { text += " (\(type))" }
        text += " on \(target) flags 0x\(String(flags, radix: 16))"
        if let data, !data.isEmpty { text += " data \(data)" }
        return text
    }

    /// Calls `body` with a C string for `string`, or with nil.
    static func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let string else { return body(nil) }
        return string.withCString { body($0) }
    }

    /// "/a/b" → "/a", "/a" → "/", lexically.
    static func parentDirectory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// "/a//b/./c/" → "/a/b/c"; ".." is kept (only secureJoin may interpret it).
    static func cleanPath(_ path: String) -> String {
        "/" + path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    /// True when `hostPath` is the rootfs or lies under it.
    func isInRootfs(_ hostPath: String) -> Bool {
        rootfs == "/" || hostPath == rootfs || hostPath.hasPrefix(rootfs + "/")
    }

    /// lstat(2), nil when the path does not exist (or the call fails).
    static func lstatOrNil(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    /// stat(2) (following symlinks), nil when the path does not exist (or the call fails).
    static func statOrNil(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }
}
