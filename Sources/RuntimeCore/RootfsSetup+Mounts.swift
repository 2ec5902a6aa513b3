// RootfsSetup+Mounts: the spec's `mounts`, one by one and in order (runc's mountToRootfs):
// resolve the destination inside the rootfs, create it, mount, then apply propagation.
#if canImport(Glibc)
import Glibc
#endif
import OCI

/// O_PATH (GNU-only, so absent from Swift's Glibc module): an fd that names a file without
/// opening it, enough for openat/mkdirat/fstat.
private let openPathOnly: Int32 = 0o10000000

extension RootfsSetup {
    /// Flags runc puts on the filesystems it adds itself (the tmpfs under /sys/fs/cgroup and the
    /// cgroup hierarchies): nothing there should be executable, setuid or a device.
    static let defaultMountFlags = UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)

    /// True for a mount made read-write first and remounted read-only in `finalize()`: a tmpfs (its
    /// mode may be changed and files created in it) or /dev (device nodes go in after the mount).
    func isDeferredReadOnly(_ entry: Mount, _ options: MountOptions) -> Bool {
        options.isReadOnly && !isBind(entry, options) && (entry.type == "tmpfs" || Self.cleanPath(entry.destination) == "/dev")
    }

    /// A bind mount: "bind"/"rbind" in the options (what runc checks) or type "bind".
    func isBind(_ entry: Mount, _ options: MountOptions) -> Bool {
        options.isBind || entry.type == "bind"
    }

    /// Performs one spec mount.
    func mountSpecEntry(_ entry: Mount) throws(ChildFailure) {
        let destination = entry.destination
        let options = try MountOptions(parsing: entry.options ?? [], destination: destination)
        if entry.uidMappings != nil || entry.gidMappings != nil {
            throw ChildFailure(stage: "mount", path: destination, errno: EINVAL,
                               message: "id-mapped mounts (uidMappings/gidMappings) are not supported yet")
        }
        let type = entry.type ?? ""
        let bind = isBind(entry, options)
        let source = entry.source ?? ""
        if type == "cgroup" && !bind {
            try mountCgroup(entry, options)
            return
        }
        if type.isEmpty && !bind {
            throw ChildFailure(stage: "mount", path: destination, errno: EINVAL, message: "mount has no type and is not a bind mount")
        }

        let (target, existing) = try prepareTarget(entry, bind: bind)
        if bind {
            try bindMount(source: source, target: target, destination: destination, options: options)
        } else {
            var flags = options.flags
            var data = options.data
            if isDeferredReadOnly(entry, options) { flags &= ~UInt(MS_RDONLY) }
            // A tmpfs over an existing directory keeps that directory's mode (/tmp stays 1777),
            // as runc does; a "mode=" in the options comes later in the data and wins.
            if type == "tmpfs", let existing {
                let mode = "mode=0" + String(existing.st_mode & 0o7777, radix: 8)
                data = data.isEmpty ? mode : mode + "," + data
            }
            try mount(source.isEmpty ? type : source, on: target, type: type, flags: flags, data: data, path: destination)
        }
        try applyPropagation(options.propagation, target: target, destination: destination)
    }

    /// Each propagation change (shared, rslave, …) on the new mount, in order.
    func applyPropagation(_ changes: [UInt], target: String, destination: String) throws(ChildFailure) {
        for flag in changes {
            try mount(nil, on: target, type: nil, flags: flag, data: nil, path: destination)
        }
    }

    /// A bind mount, then (if any flag was asked for) the remount that applies the flags: the
    /// kernel ignores every flag but MS_REC on the initial MS_BIND.
    private func bindMount(source: String, target: String, destination: String, options: MountOptions) throws(ChildFailure) {
        try mount(source, on: target, type: nil, flags: UInt(MS_BIND) | (options.flags & UInt(MS_REC)), data: nil, path: destination)
        let asked = options.flags & ~UInt(MS_BIND | MS_REC | MS_REMOUNT)
        guard asked != 0 || options.clearFlags != 0 else { return }

        // Like "mount --bind -o …": exactly the requested flags (runc's behaviour).
        var flags = options.flags | UInt(MS_BIND | MS_REMOUNT)
        let first = Self.tryMount(nil, on: target, type: nil, flags: flags, data: nil)
        guard first != 0 else { return }

        // In a user namespace the flags the source mount already has (ro, nosuid, nodev, noexec,
        // atime) are locked: dropping one fails with EPERM. Retry keeping them, unless the user
        // explicitly asked to clear one, which cannot be honoured.
        let sourceFlags = Self.statvfsMountFlags(source) ?? 0
        let atime = UInt(MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME)
        let locked = UInt(MS_RDONLY | MS_NODEV | MS_NOEXEC | MS_NOSUID) | atime
        if sourceFlags & options.clearFlags & locked != 0 {
            throw ChildFailure(stage: "mount", path: destination, errno: first,
                               message: "cannot clear flags 0x\(String(sourceFlags & options.clearFlags & locked, radix: 16)) locked on bind source \(source)")
        }
        if options.flags & atime != 0 && options.flags & atime != sourceFlags & atime {
            throw ChildFailure(stage: "mount", path: destination, errno: first,
                               message: "cannot change the atime flags locked on bind source \(source)")
        }
        flags |= sourceFlags & locked
        try mount(nil, on: target, type: nil, flags: flags, data: nil, path: destination)
    }

    /// Resolves the destination inside the rootfs with secureJoin, refuses places a mount must not
    /// go, and creates the mount point if missing. Returns the host path and, if the target
    /// already existed, its stat.
    func prepareTarget(_ entry: Mount, bind: Bool) throws(ChildFailure) -> (String, stat?) {
        let destination = entry.destination
        let type = entry.type ?? ""
        if type == "proc" || type == "sysfs" {
            // proc and sysfs must land exactly on an ordinary directory: an image (or another
            // container sharing a volume) that turns /proc into a symlink would otherwise move
            // the real procfs elsewhere and leave a fake one where LSM labels are written
            // (CVE-2019-16884, CVE-2019-19921).
            let lexical = rootfs + Self.cleanPath(destination)
            if let info = Self.lstatOrNil(lexical), info.st_mode & S_IFMT != S_IFDIR {
                throw ChildFailure(stage: "mount", path: destination, errno: ENOTDIR,
                                   message: "\(type) must be mounted on an ordinary directory")
            }
        }
        // Symlinks in the image are resolved as if the rootfs were "/", so a planted link such as
        // /run -> /../../host cannot move the mount out of the container (see SecureJoin.swift
        // for the race this leaves open).
        let target = try secureJoin(root: rootfs, destination)
        if target == rootfs {
            throw ChildFailure(stage: "mount", path: destination, errno: EINVAL, message: "mount destination resolves to the rootfs itself")
        }
        try checkProcMount(target: target, entry: entry, bind: bind)

        if let existing = Self.lstatOrNil(target) {
            return (target, existing)
        }
        // Missing: for a file bind (a resolv.conf, a socket) an empty file, else a directory.
        var isFile = false
        if bind {
            let source = entry.source ?? ""
            guard let info = Self.statOrNil(source) else {
                throw ChildFailure(stage: "mount", path: destination, errno: errno, message: "bind source \(source)")
            }
            isFile = info.st_mode & S_IFMT != S_IFDIR
        }
        try createInRootfs(target, file: isFile, destination: destination)
        return (target, nil)
    }

    /// Refuses mounts over /proc or inside it (runc's checkProcMount): covering /proc with anything
    /// but a procfs, or /proc/<something> with anything, would let the container fake or hide
    /// what the kernel reports (CVE-2019-16884: an image covered /proc so that the write to
    /// /proc/self/attr/exec selecting the AppArmor profile went nowhere).
    /// The few files lxcfs emulates stay allowed.
    private func checkProcMount(target: String, entry: Mount, bind: Bool) throws(ChildFailure) {
        let proc = (rootfs == "/" ? "" : rootfs) + "/proc"
        guard target == proc || target.hasPrefix(proc + "/") else { return }
        if target == proc {
            if entry.type == "proc" && !bind { return }
            if bind, let source = entry.source, isProcfs(source) { return }
            throw ChildFailure(stage: "mount", path: entry.destination, errno: EPERM, message: "only a procfs may be mounted on /proc")
        }
        let lxcfs = ["cpuinfo", "diskstats", "meminfo", "stat", "swaps", "uptime", "loadavg", "slabinfo",
                     "sys/kernel/ns_last_pid", "sys/crypto/fips_enabled"]
        if lxcfs.contains(where: { target == proc + "/" + $0 }) { return }
        throw ChildFailure(stage: "mount", path: entry.destination, errno: EPERM, message: "mounts inside /proc are not allowed")
    }

    /// True when `path` is on a procfs: its device matches a "proc" mount in our mountinfo
    /// (Swift's Glibc has no statfs(2) to read PROC_SUPER_MAGIC).
    private func isProcfs(_ path: String) -> Bool {
        guard let info = Self.statOrNil(path) else { return false }
        // glibc's gnu_dev_major/gnu_dev_minor.
        let major = (info.st_dev >> 8) & 0xfff | (info.st_dev >> 32) & 0xffff_f000
        let minor = info.st_dev & 0xff | (info.st_dev >> 12) & 0xffff_ff00
        return MountInfo.read().contains { $0.fsType == "proc" && $0.device == "\(major):\(minor)" }
    }

    /// Creates `hostPath` (under the rootfs) and any missing parents, walking down from the rootfs
    /// with openat(O_NOFOLLOW) so no component created or crossed here is a symlink, even one
    /// planted after secureJoin looked. `file` makes the last component an empty file; an existing
    /// one is kept. Errors name `destination` (the path as the config gives it) and `stage`.
    func createInRootfs(_ hostPath: String, file: Bool, destination: String, stage: String = "mount") throws(ChildFailure) {
        guard isInRootfs(hostPath) else {
            throw ChildFailure(stage: stage, path: destination, errno: EXDEV, message: "\(hostPath) is outside the rootfs")
        }
        let parts = hostPath.dropFirst(rootfs == "/" ? 0 : rootfs.count).split(separator: "/").map(String.init)
        var directory = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC)
        guard directory >= 0 else {
            throw ChildFailure(stage: stage, path: destination, errno: errno, message: "open rootfs \(rootfs)")
        }
        defer { close(directory) }
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1 && file {
                let fd = openat(directory, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                if fd < 0 && errno != EEXIST {
                    throw ChildFailure(stage: stage, path: destination, errno: errno, message: "create mount point \(hostPath)")
                }
                if fd >= 0 { close(fd) }
                return
            }
            var next = openat(directory, part, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | openPathOnly)
            if next < 0 && errno == ENOENT {
                if mkdirat(directory, part, 0o755) != 0 && errno != EEXIST {
                    throw ChildFailure(stage: stage, path: destination, errno: errno, message: "mkdir \(part) for \(hostPath)")
                }
                next = openat(directory, part, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | openPathOnly)
            }
            guard next >= 0 else {
                // ELOOP or ENOTDIR: a symlink or a file where a directory must be.
                throw ChildFailure(stage: stage, path: destination, errno: errno, message: "open \(part) for \(hostPath)")
            }
            close(directory)
            directory = next
        }
    }

    /// The MS_* flags of the mount holding `path`, from statvfs(2) (runc's statfsToMountFlags).
    /// The ST_* bits for most flags have the MS_* values; ST_RELATIME (0x1000, which is MS_BIND's
    /// value) and ST_NOSYMFOLLOW (0x2000) do not and are translated.
    static func statvfsMountFlags(_ path: String) -> UInt? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let same = UInt(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK
            | MS_NOATIME | MS_NODIRATIME)
        var flags = info.f_flag & same
        let stRelatime: UInt = 0x1000, stNoSymfollow: UInt = 0x2000
        if info.f_flag & stRelatime != 0 { flags |= UInt(MS_RELATIME) }
        if info.f_flag & stNoSymfollow != 0 { flags |= UInt(MS_NOSYMFOLLOW) }
        // MS_STRICTATIME is not stored on the mount: a mount with neither noatime nor relatime is one.
        if flags & UInt(MS_NOATIME | MS_RELATIME) == 0 { flags |= UInt(MS_STRICTATIME) }
        return flags
    }
}
