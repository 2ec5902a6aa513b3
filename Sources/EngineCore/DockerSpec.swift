// DockerSpec: the OCI spec of an engine container, built with docker's defaults — docker's
// default capability set, masked and read-only /proc and /sys paths, /dev/shm, the engine's
// /etc/hosts, /etc/hostname and /etc/resolv.conf bound in, the cgroup at <cgroup-parent>/<id> — and the
// user's choices: --privileged, --cap-add/--cap-drop, no-new-privileges, --read-only, -u, -w,
// --memory, --cpus, --pids-limit, and the seccomp profile: berth's default (DefaultSeccompProfile)
// unless --privileged or --security-opt chooses otherwise (DockerSpec+Seccomp.swift); volumes,
// binds and tmpfs mounts placed by MountTable.
import API
import Errdefs
import OCI

enum DockerSpec {
    /// Docker's default capabilities (moby's oci/caps.DefaultCapabilities).
    static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability, in the kernel's numbering (index = capability number).
    static let knownCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// The capabilities this engine holds in its bounding set (--privileged and --cap-add ALL
    /// give these, as dockerd does: a container cannot get what its engine does not have).
    static let allCapabilities: [String] = {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }
        guard let line, let mask = UInt64(line.dropFirst("CapBnd:".count).trimmingCharacters(in: .whitespaces), radix: 16) else {
            return knownCapabilities
        }
        return knownCapabilities.enumerated().filter { mask & (1 << UInt64($0.offset)) != 0 }.map(\.element)
    }()

    static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ]
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// The capability set after --privileged, --cap-add and --cap-drop (names with or without CAP_, any case; ALL).
    static func capabilities(privileged: Bool, add: [String], drop: [String]) throws(CoreError) -> [String] {
        if privileged { return allCapabilities }
        func normalize(_ name: String) throws(CoreError) -> String {
            let upper = name.uppercased()
            if upper == "ALL" { return upper }
            let full = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
            guard knownCapabilities.contains(full) else { throw CoreError(.invalidArgument, "unknown capability: \"\(name)\"") }
            return full
        }
        var added: [String] = []
        for name in add { added.append(try normalize(name)) }
        var dropped: [String] = []
        for name in drop { dropped.append(try normalize(name)) }
        var caps = added.contains("ALL") ? allCapabilities : defaultCapabilities
        if dropped.contains("ALL") { caps = [] }
        caps.removeAll { dropped.contains($0) }
        for cap in added where cap != "ALL" && !caps.contains(cap) { caps.append(cap) }
        return caps
    }

    /// The spec for `stored` (its config already merged with the image's).
    /// `user` is the resolved `-u` (UserLookup) when it names a user or group; numeric ones need none.
    static func build(_ stored: Engine_StoredContainer, cgroupParent: String, cgroupNamespace: Bool,
                      user: User? = nil) throws(CoreError) -> Spec {
        let inspect = stored.inspect
        let config = inspect.config
        let host = inspect.hostConfig
        // A private cgroup namespace, so the container's cgroup mounts show its own cgroup only —
        // docker's default on cgroup v2, and here on v1 too (docker's v1 default, the host's, shows
        // every cgroup of the machine). --privileged on v1 keeps the host's, as docker does.
        let privateCgroups = cgroupNamespace || !host.privileged
        var spec = Spec.defaultSpec(rootless: false, hostUID: 0, hostGID: 0, cgroupNamespace: privateCgroups)
        let caps = try capabilities(privileged: host.privileged, add: host.capAdd, drop: host.capDrop)
        var process = spec.process!
        process.terminal = config.tty
        process.args = [inspect.path] + inspect.args
        process.env = config.env
        process.cwd = config.workingDir.isEmpty ? "/" : config.workingDir
        if let user {
            process.user = user
        } else {
            // A name gets root here until Engine.applyUser resolves it in the container's files.
            process.user = try numericUser(config.user) ?? User(uid: 0, gid: 0)
        }
        process.capabilities = LinuxCapabilities(bounding: caps, effective: caps, permitted: caps)
        process.rlimits = host.ulimits.isEmpty ? nil : host.ulimits.map {
            POSIXRlimit(type: "RLIMIT_" + $0.name.uppercased(), hard: UInt64(bitPattern: $0.hard), soft: UInt64(bitPattern: $0.soft))
        }
        process.noNewPrivileges = host.securityOpt.contains { $0 == "no-new-privileges" || $0 == "no-new-privileges:true" || $0 == "no-new-privileges=true" }
        if host.hasConsoleSize, host.consoleSize.width > 0 {
            process.consoleSize = ConsoleSize(height: UInt(host.consoleSize.height), width: UInt(host.consoleSize.width))
        }
        spec.process = process
        spec.hostname = config.hostname
        spec.root = Root(path: "rootfs", readonly: host.readOnly)
        let mounts = (spec.mounts ?? []).map { mount -> Mount in
            var mount = mount
            if mount.destination == "/dev/shm" { mount.options = ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"] }
            if host.privileged, mount.destination == "/sys" || mount.destination == "/sys/fs/cgroup" {
                mount.options = (mount.options ?? []).filter { $0 != "ro" }
            }
            return mount
        }
        var etc: [Mount] = []
        for (destination, source) in [("/etc/resolv.conf", inspect.resolvConfPath), ("/etc/hostname", inspect.hostnamePath),
                                      ("/etc/hosts", inspect.hostsPath)] where !source.isEmpty {
            etc.append(Mount(destination: destination, type: "bind", source: source, options: ["rbind", "rprivate"]))
        }
        spec.mounts = MountTable.ordered(defaults: mounts, etc: etc, user: MountTable.userMounts(inspect))
        var linux = spec.linux ?? LinuxConfig()
        linux.cgroupsPath = "\(cgroupParent)/\(inspect.id)"
        if let propagation = MountTable.rootfsPropagation(inspect) { linux.rootfsPropagation = propagation }
        linux.maskedPaths = host.privileged ? nil : maskedPaths
        linux.readonlyPaths = host.privileged ? nil : readonlyPaths
        linux.seccomp = try seccomp(host, capabilities: caps)
        var resources = linux.resources ?? LinuxResources()
        if host.privileged { resources.devices = [LinuxDeviceCgroup(allow: true, access: "rwm")] }
        if host.memory > 0 { resources.memory = LinuxMemory(limit: host.memory) }
        if host.nanoCpus > 0 {
            let period: UInt64 = 100_000
            resources.cpu = LinuxCPU(quota: host.nanoCpus * Int64(period) / 1_000_000_000, period: period)
        }
        if host.pidsLimit > 0 { resources.pids = LinuxPids(limit: host.pidsLimit) }
        linux.resources = resources
        spec.linux = linux
        NetworkSpec.apply(&spec, inspect)
        return spec
    }

    /// "uid[:gid]" as a User; nil when a part is a name (UserLookup resolves it from the
    /// container's /etc/passwd and /etc/group).
    static func numericUser(_ text: String) throws(CoreError) -> User? {
        if text.isEmpty { return User(uid: 0, gid: 0) }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else { throw CoreError(.invalidArgument, "invalid user: \"\(text)\"") }
        guard let uid = UInt32(parts[0]) else { return nil }
        guard parts.count > 1 else { return User(uid: uid, gid: 0) }  // docker: gid 0 for a uid without a passwd entry
        guard let gid = UInt32(parts[1]) else { return nil }
        return User(uid: uid, gid: gid)
    }
}
