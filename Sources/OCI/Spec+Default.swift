// Spec+Default: the starter config `berth-runtime spec` writes, matching runc's
// libcontainer/specconv/example.go (Example and ToRootless) field for field, except that the
// hostname is "berth". Like runc, a cgroup namespace is added only on a cgroup v2 host.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Spec {
    /// What `runc spec` (or `runc spec --rootless`) produces, for the calling user and this host.
    public static func defaultSpec(rootless: Bool) -> Spec {
        defaultSpec(rootless: rootless, hostUID: geteuid(), hostGID: getegid(),
                    cgroupNamespace: hostIsCgroup2Unified())
    }

    /// The default config with the host facts given explicitly (for tests and reproducible output).
    ///
    /// - Parameters:
    ///   - rootless: drop the network namespace and cgroup resources, add a user namespace mapping
    ///     container root to `hostUID`/`hostGID`, bind /sys instead of mounting sysfs, and strip
    ///     `uid=`/`gid=` mount options (runc `ToRootless`).
    ///   - cgroupNamespace: add a cgroup namespace (runc does on a cgroup v2 unified host).
    public static func defaultSpec(rootless: Bool, hostUID: UInt32, hostGID: UInt32,
                                   cgroupNamespace: Bool) -> Spec {
        let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        let process = Process(
            terminal: true, user: User(uid: 0, gid: 0), args: ["sh"],
            env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            cwd: "/", capabilities: LinuxCapabilities(bounding: caps, effective: caps, permitted: caps),
            rlimits: [POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)], noNewPrivileges: true)
        var namespaces: [LinuxNamespace] = [.init(type: .pid), .init(type: .network), .init(type: .ipc),
                                            .init(type: .uts), .init(type: .mount)]
        if cgroupNamespace { namespaces.append(.init(type: .cgroup)) }
        var spec = Spec(
            ociVersion: currentVersion, process: process, root: Root(path: "rootfs", readonly: true),
            hostname: "berth", mounts: defaultMounts,
            linux: LinuxConfig(
                resources: LinuxResources(devices: [LinuxDeviceCgroup(allow: false, access: "rwm")]),
                namespaces: namespaces,
                maskedPaths: [
                    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                    "/proc/scsi", "/sys/devices/virtual/tpm",
                ],
                readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]))
        if rootless { spec.makeRootless(hostUID: hostUID, hostGID: hostGID) }
        return spec
    }

    /// The mounts runc's example config lists, in its order.
    static var defaultMounts: [Mount] {
        [
            Mount(destination: "/proc", type: "proc", source: "proc"),
            Mount(destination: "/dev", type: "tmpfs", source: "tmpfs",
                  options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            Mount(destination: "/dev/shm", type: "tmpfs", source: "shm",
                  options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
            Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                  options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        ]
    }

    /// runc's ToRootless: no network namespace, a user namespace mapping root to the caller, /sys
    /// bound from the host (sysfs cannot be mounted without owning the netns), no uid=/gid= mount
    /// options (those ids are unmapped), and no cgroup resources (an unprivileged user cannot
    /// create cgroups without delegation).
    mutating func makeRootless(hostUID: UInt32, hostGID: UInt32) {
        var linux = self.linux ?? LinuxConfig()
        var namespaces = (linux.namespaces ?? []).filter { $0.type != .network && $0.type != .user }
        namespaces.append(LinuxNamespace(type: .user))
        linux.namespaces = namespaces
        linux.uidMappings = [LinuxIDMapping(containerID: 0, hostID: hostUID, size: 1)]
        linux.gidMappings = [LinuxIDMapping(containerID: 0, hostID: hostGID, size: 1)]
        linux.resources = nil
        self.linux = linux
        mounts = mounts.map { list in
            list.map { mount in
                if Spec.cleanPath(mount.destination) == "/sys" {
                    return Mount(destination: "/sys", type: "none", source: "/sys",
                                 options: ["rbind", "nosuid", "noexec", "nodev", "ro"])
                }
                var mount = mount
                mount.options = mount.options?.filter { !$0.hasPrefix("uid=") && !$0.hasPrefix("gid=") }
                return mount
            }
        }
    }

    /// `path` without repeated or trailing slashes and "." components (enough for mount matching).
    static func cleanPath(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// Whether /sys/fs/cgroup is the cgroup v2 root. runc checks statfs for CGROUP2_SUPER_MAGIC;
    /// Glibc's Swift module hides statfs, and only a v2 root has cgroup.controllers at its top
    /// (a hybrid host keeps it under /sys/fs/cgroup/unified), so its presence is the same test.
    static func hostIsCgroup2Unified() -> Bool {
        access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
    }
}
