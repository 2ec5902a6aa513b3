// RootfsSetup+Cgroup: a mount of type "cgroup" (usually /sys/fs/cgroup), shaped like the host's
// cgroup layout: on a v1 or hybrid host a tmpfs holding one fresh mount per v1 hierarchy (plus
// cgroup2 at unified/ if the host has it there), on a pure v2 host a single cgroup2 mount. Fresh
// mounts, not binds of the host's directories: the init has already unshared its cgroup
// namespace, so each new mount is rooted at the container's own cgroup (runc's cgroupns path).
// Also MountInfo, the /proc/self/mountinfo reader this and the no-pivot path need.
#if canImport(Glibc)
import Glibc
#endif
import OCI

/// One line of /proc/self/mountinfo (proc(5)).
struct MountInfo: Equatable, Sendable {
    /// "major:minor" of the filesystem (field 3).
    var device: String
    /// The directory of the filesystem that forms this mount's root (field 4).
    var root: String
    /// Where it is mounted, unescaped (field 5).
    var mountPoint: String
    /// Filesystem type, e.g. "cgroup" (first field after " - ").
    var fsType: String
    /// Mount source (second field after " - ").
    var source: String
    /// Per-superblock options, e.g. "rw,memory" (third field after " - ").
    var superOptions: String

    /// Parses one line; nil if it is malformed.
    init?(line: Substring) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 10, let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 4 else { return nil }
        device = String(fields[2])
        root = Self.unescape(fields[3])
        mountPoint = Self.unescape(fields[4])
        fsType = String(fields[dash + 1])
        source = Self.unescape(fields[dash + 2])
        superOptions = String(fields[dash + 3])
    }

    /// Every mount of this process's mount namespace, in mount order; empty if unreadable.
    static func read() -> [MountInfo] {
        guard let text = ProcFS.read("/proc/self/mountinfo") else { return [] }
        return text.split(separator: "\n").compactMap { MountInfo(line: $0) }
    }

    /// The kernel writes space, tab, newline and backslash as \ooo octal escapes.
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension RootfsSetup {
    /// Super options of a v1 cgroup mount that are not controllers or names, and so must not be
    /// passed to a new mount of the same hierarchy.
    static let cgroupNonControllerOptions: Set<Substring> = [
        "rw", "ro", "clone_children", "noprefix", "xattr", "cpuset_v2_mode", "favordynmods", "all", "none",
    ]

    /// The data for a fresh mount of the v1 hierarchy a mountinfo entry shows: its controllers
    /// and its "name=" ("rw,cpu,cpuacct" → "cpu,cpuacct"; "rw,name=systemd" → "name=systemd").
    static func cgroupV1Data(_ superOptions: String) -> String {
        superOptions.split(separator: ",").filter { option in
            if option.hasPrefix("name=") { return true }
            return !option.contains("=") && !cgroupNonControllerOptions.contains(option)
        }.joined(separator: ",")
    }

    /// Mounts a "cgroup" spec entry. With "ro" every mount made here ends up read-only.
    func mountCgroup(_ entry: Mount, _ options: MountOptions) throws(ChildFailure) {
        let destination = entry.destination
        let (target, _) = try prepareTarget(entry, bind: false)
        let hostMounts = MountInfo.read()
        let v1 = hostMounts.filter { $0.fsType == "cgroup" }
        let readOnly = options.isReadOnly ? UInt(MS_RDONLY) : 0
        // Docker passes "nosuid,noexec,nodev,relatime,ro"; the defaults apply whatever was given.
        let flags = options.flags | Self.defaultMountFlags | readOnly

        if v1.isEmpty {
            // Pure v2: one cgroup2 mount, as the host has at /sys/fs/cgroup.
            try mountCgroup2(at: target, flags: flags, destination: destination)
            try applyPropagation(options.propagation, target: target, destination: destination)
            return
        }

        // v1 or hybrid: a tmpfs to hold the hierarchies. Written to below, so read-only only at
        // the end.
        try mount("tmpfs", on: target, type: "tmpfs", flags: Self.defaultMountFlags, data: "mode=755", path: destination)
        var seen: Set<String> = []
        for hierarchy in v1 {
            // The directory name the host uses ("memory", "cpu,cpuacct", "systemd"); the same
            // hierarchy may be mounted at more places on the host, one mount here is enough.
            let name = String(hierarchy.mountPoint.split(separator: "/").last ?? "")
            let data = Self.cgroupV1Data(hierarchy.superOptions)
            guard !name.isEmpty, !data.isEmpty, seen.insert(data).inserted, !name.hasPrefix(".") else { continue }
            let path = target + "/" + name
            // Fresh tmpfs: nothing in it can be a symlink, plain mkdir is safe.
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw ChildFailure(stage: "mount", path: destination + "/" + name, errno: errno, message: "mkdir for cgroup hierarchy")
            }
            let code = Self.tryMount("cgroup", on: path, type: "cgroup", flags: flags, data: data)
            if code == EPERM || code == EBUSY {
                // In a user namespace without a cgroup namespace of its own the kernel refuses a new
                // cgroup mount: fall back to the host's hierarchy, as runc does without cgroupns.
                try bindHostCgroup(hierarchy.mountPoint, at: path, flags: flags, destination: destination + "/" + name)
            } else if code != 0 {
                throw ChildFailure(stage: "mount", path: destination + "/" + name, errno: code,
                                   message: Self.describeMount("cgroup", path, "cgroup", flags, data))
            }
            // "cpu,cpuacct" also answers to "cpu" and "cpuacct", as on the host (runc's symlinks).
            if name.contains(",") {
                for alias in name.split(separator: ",") {
                    if symlink(name, target + "/" + alias) != 0 && errno != EEXIST {
                        throw ChildFailure(stage: "mount", path: destination + "/" + alias, errno: errno, message: "symlink to \(name)")
                    }
                }
            }
        }
        // Hybrid: the host's cgroup2 tree sits at /sys/fs/cgroup/unified.
        if hostMounts.contains(where: { $0.fsType == "cgroup2" && $0.mountPoint == "/sys/fs/cgroup/unified" }) {
            let path = target + "/unified"
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw ChildFailure(stage: "mount", path: destination + "/unified", errno: errno, message: "mkdir for cgroup2")
            }
            try mountCgroup2(at: path, flags: flags, destination: destination + "/unified", hostPath: "/sys/fs/cgroup/unified")
        }
        if readOnly != 0 {
            // Only the tmpfs's own flags change; the hierarchies under it keep theirs.
            try mount(nil, on: target, type: nil, flags: UInt(MS_BIND | MS_REMOUNT | MS_RDONLY) | Self.defaultMountFlags,
                      data: nil, path: destination)
        }
        try applyPropagation(options.propagation, target: target, destination: destination)
    }

    /// A fresh cgroup2 mount, falling back to a bind of the host's tree on EPERM/EBUSY (a user
    /// namespace without its own cgroup namespace; runc's mountCgroupV2).
    private func mountCgroup2(at path: String, flags: UInt, destination: String, hostPath: String = "/sys/fs/cgroup") throws(ChildFailure) {
        let code = Self.tryMount("cgroup2", on: path, type: "cgroup2", flags: flags, data: nil)
        if code == EPERM || code == EBUSY {
            try bindHostCgroup(hostPath, at: path, flags: flags, destination: destination)
        } else if code != 0 {
            throw ChildFailure(stage: "mount", path: destination, errno: code, message: Self.describeMount("cgroup2", path, "cgroup2", flags, nil))
        }
    }

    /// Binds a host cgroup directory, then applies `flags` (read-only, nosuid, …) with a remount.
    private func bindHostCgroup(_ hostPath: String, at path: String, flags: UInt, destination: String) throws(ChildFailure) {
        try mount(hostPath, on: path, type: nil, flags: UInt(MS_BIND | MS_REC), data: nil, path: destination)
        // Keep what the host mount has (in a user namespace those flags are locked; dropping one
        // would fail with EPERM) and add what was asked for.
        let lockable = UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME)
        let perMount = flags & (UInt(MS_RDONLY) | Self.defaultMountFlags) | (Self.statvfsMountFlags(hostPath) ?? 0) & lockable
        try mount(nil, on: path, type: nil, flags: UInt(MS_BIND | MS_REMOUNT) | perMount, data: nil, path: destination)
    }
}
