// RootfsSetup+Paths: entering the rootfs (pivot_root, or MS_MOVE + chroot with --no-pivot) and the
// finishing touches made from inside it: deferred read-only remounts, root.readonly,
// linux.readonlyPaths and linux.maskedPaths (runc's pivotRoot, msMoveRoot, finalizeRootfs,
// readonlyPath, maskPaths).
#if canImport(Glibc)
import Glibc
#endif
import OCI
import Sys

extension RootfsSetup {
    /// Makes the rootfs "/" and the cwd. The host's tree is gone from this mount namespace after
    /// a pivot; with `noPivot` it is only hidden by chroot.
    func enter() throws(ChildFailure) {
        if noPivot {
            try moveRoot()
        } else {
            try pivotRoot()
        }
        // Shared or unbindable root propagation is applied to the new "/" only now: applied to
        // the rootfs before the pivot it would reach the host if the rootfs's mount is shared.
        // Slave and private were applied in prepare() already (runc does the same).
        let propagation = try rootPropagation()
        if propagation & UInt(MS_PRIVATE | MS_SLAVE) == 0 {
            try mount(nil, on: "/", type: nil, flags: propagation, data: nil, stage: "rootfs propagation", path: "/")
        }
    }

    /// runc's pivot_root(".", "."): no put_old directory is needed in the rootfs (so a read-only
    /// image works), and the old root is detached right away.
    private func pivotRoot() throws(ChildFailure) {
        let oldRoot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC)
        guard oldRoot >= 0 else { throw ChildFailure(stage: "pivot_root", path: "/", errno: errno, message: "open old root") }
        defer { close(oldRoot) }
        let newRoot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC)
        guard newRoot >= 0 else { throw ChildFailure(stage: "pivot_root", path: rootfs, errno: errno, message: "open rootfs") }
        defer { close(newRoot) }

        guard fchdir(newRoot) == 0 else { throw ChildFailure(stage: "pivot_root", path: rootfs, errno: errno, message: "fchdir to rootfs") }
        // pivot_root(".", "."): the rootfs becomes "/" and the old root is stacked on top of it
        // at the same place, still reachable as our cwd.
        do {
            try Sys.Linux.pivotRoot(new: ".", old: ".")
        } catch {
            throw ChildFailure(stage: "pivot_root", path: rootfs, errno: error.cause?.errno ?? 0, message: error.message)
        }
        // The kernel does not promise where the cwd is after pivot_root: go to the old root explicitly.
        guard fchdir(oldRoot) == 0 else { throw ChildFailure(stage: "pivot_root", path: "/", errno: errno, message: "fchdir to old root") }
        // rslave before unmounting, so the unmount of the old root does not propagate to the host
        // and tear down its mounts. Not rprivate: a private copy keeps references to host mounts
        // that host processes then cannot unmount (runc saw this with devicemapper).
        try mount(nil, on: ".", type: nil, flags: UInt(MS_SLAVE | MS_REC), data: nil, stage: "pivot_root", path: "old root")
        // MNT_DETACH: the old root is busy (it is our cwd); a lazy unmount removes it now and
        // frees it when the last reference goes.
        guard umount2(".", Int32(MNT_DETACH)) == 0 else {
            throw ChildFailure(stage: "pivot_root", path: "old root", errno: errno, message: "umount2 MNT_DETACH")
        }
        guard chdir("/") == 0 else { throw ChildFailure(stage: "pivot_root", path: "/", errno: errno, message: "chdir /") }
    }

    /// --no-pivot: move the rootfs mount onto "/" and chroot into it.
    private func moveRoot() throws(ChildFailure) {
        // chroot leaves the host's full procfs and sysfs mounts in this namespace. The kernel lets
        // a process mount a new procfs/sysfs only if a full, uncovered one is visible to it, and
        // here one is — so detach (or cover) the host's, as runc's msMoveRoot does.
        for info in MountInfo.read() where info.root == "/" && (info.fsType == "proc" || info.fsType == "sysfs") {
            let path = info.mountPoint
            if isInRootfs(path) { continue }
            let code = Self.tryMount(nil, on: path, type: nil, flags: UInt(MS_SLAVE | MS_REC), data: nil)
            if code == ENOENT { continue }  // under something detached already
            if code != 0 {
                throw ChildFailure(stage: "no-pivot", path: path, errno: code, message: "make host \(info.fsType) mount rslave")
            }
            if umount2(path, Int32(MNT_DETACH)) != 0 {
                guard errno == EINVAL || errno == EPERM else {
                    throw ChildFailure(stage: "no-pivot", path: path, errno: errno, message: "unmount host \(info.fsType)")
                }
                // Not allowed to unmount it (a user namespace): cover it instead.
                try mount("tmpfs", on: path, type: "tmpfs", flags: 0, data: nil, stage: "no-pivot", path: path)
            }
        }
        guard chdir(rootfs) == 0 else { throw ChildFailure(stage: "no-pivot", path: rootfs, errno: errno, message: "chdir to rootfs") }
        try mount(rootfs, on: "/", type: nil, flags: UInt(MS_MOVE), data: nil, stage: "no-pivot", path: rootfs)
        guard chroot(".") == 0 else { throw ChildFailure(stage: "no-pivot", path: rootfs, errno: errno, message: "chroot") }
        guard chdir("/") == 0 else { throw ChildFailure(stage: "no-pivot", path: "/", errno: errno, message: "chdir /") }
    }

    /// After `enter()` (and after the init's sysctl writes, which need /proc/sys writable):
    /// read-only remounts of tmpfs and /dev mounts, root.readonly, readonlyPaths, maskedPaths, in
    /// runc's order. Paths are the container's: "/" is the rootfs now.
    func finalize() throws(ChildFailure) {
        // tmpfs and /dev mounts asked "ro" were mounted read-write so that /dev could be populated
        // (and the console set up); make them read-only now.
        for entry in mounts {
            let options = (try? MountOptions(parsing: entry.options ?? [])) ?? MountOptions()
            if isDeferredReadOnly(entry, options) {
                try remountReadOnly(entry.destination, flags: options.flags)
            }
        }
        if spec.root?.readonly == true {
            try makeRootReadOnly()
        }
        for path in spec.linux?.readonlyPaths ?? [] {
            try makeReadOnly(path)
        }
        try maskPaths(spec.linux?.maskedPaths ?? [])
    }

    /// MS_BIND|MS_REMOUNT changes only this mount's flags, and is allowed in a user namespace as
    /// long as no locked flag is dropped, so the mount's other flags are passed along. EBUSY is
    /// retried a few times, as runc does.
    private func remountReadOnly(_ destination: String, flags: UInt) throws(ChildFailure) {
        let all = flags | UInt(MS_REMOUNT | MS_BIND | MS_RDONLY)
        var code: Int32 = 0
        for _ in 0..<5 {
            code = Self.tryMount(nil, on: destination, type: nil, flags: all, data: nil)
            if code != EBUSY { break }
            usleep(100_000)
        }
        guard code == 0 else {
            throw ChildFailure(stage: "mount", path: destination, errno: code, message: "remount read-only")
        }
    }

    /// root.readonly: "/" read-only. In a user namespace the bare remount fails with EPERM because
    /// it would drop locked flags (nosuid, nodev, …); retry with the flags statvfs reports.
    private func makeRootReadOnly() throws(ChildFailure) {
        let flags = UInt(MS_BIND | MS_REMOUNT | MS_RDONLY)
        let code = Self.tryMount(nil, on: "/", type: nil, flags: flags, data: nil)
        guard code != 0 else { return }
        guard let current = Self.statvfsMountFlags("/") else {
            throw ChildFailure(stage: "readonly rootfs", path: "/", errno: code, message: "remount read-only")
        }
        try mount(nil, on: "/", type: nil, flags: flags | current, data: nil, stage: "readonly rootfs", path: "/")
    }

    /// One of linux.readonlyPaths: bound onto itself so it is a mount of its own, then that mount
    /// made read-only, keeping the nosuid/nodev/noexec it already had (locked in a user namespace).
    /// A missing path is skipped: the defaults list /proc entries some kernels lack.
    private func makeReadOnly(_ path: String) throws(ChildFailure) {
        let code = Self.tryMount(path, on: path, type: nil, flags: UInt(MS_BIND | MS_REC), data: nil)
        if code == ENOENT { return }
        guard code == 0 else {
            throw ChildFailure(stage: "readonly path", path: path, errno: code, message: "bind onto itself")
        }
        guard let current = Self.statvfsMountFlags(path) else {
            throw ChildFailure(stage: "readonly path", path: path, errno: errno, message: "statvfs")
        }
        let keep = current & UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)
        try mount(path, on: path, type: nil, flags: keep | UInt(MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC), data: nil,
                  stage: "readonly path", path: path)
    }

    /// linux.maskedPaths: hide kernel interfaces that are not namespaced (/proc/kcore,
    /// /proc/keys, /sys/firmware, …). A directory gets an empty read-only tmpfs over it, a file
    /// /dev/null bound over it; a missing path is skipped.
    private func maskPaths(_ paths: [String]) throws(ChildFailure) {
        var done: Set<String> = []
        for path in paths {
            guard done.insert(Self.cleanPath(path)).inserted else { continue }
            guard let info = Self.statOrNil(path) else {
                if errno == ENOENT || errno == ENOTDIR { continue }
                throw ChildFailure(stage: "masked path", path: path, errno: errno, message: "stat")
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                // The smallest tmpfs there is; Ubuntu's 5.4 kernel rejects nr_inodes=1, hence the retry.
                var code = Self.tryMount("tmpfs", on: path, type: "tmpfs", flags: UInt(MS_RDONLY), data: "nr_blocks=1,nr_inodes=1")
                if code != 0 {
                    code = Self.tryMount("tmpfs", on: path, type: "tmpfs", flags: UInt(MS_RDONLY), data: "nr_blocks=1,nr_inodes=2")
                }
                guard code == 0 else {
                    throw ChildFailure(stage: "masked path", path: path, errno: code, message: "mount read-only tmpfs over it")
                }
            } else {
                try mount("/dev/null", on: path, type: nil, flags: UInt(MS_BIND), data: nil, stage: "masked path", path: path)
            }
        }
    }
}
