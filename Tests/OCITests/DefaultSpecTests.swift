// DefaultSpecTests: Spec.defaultSpec matches runc's example spec (specconv/example.go), and the
// rootless variant applies runc's ToRootless changes; both validate.
import OCI
import Testing

@Suite struct DefaultSpecTests {
    @Test func rootfulMatchesRuncExample() throws {
        let spec = Spec.defaultSpec(rootless: false, hostUID: 0, hostGID: 0, cgroupNamespace: false)
        try spec.validate()
        #expect(spec.ociVersion.hasPrefix("1."))
        #expect(spec.root == Root(path: "rootfs", readonly: true))
        #expect(spec.hostname == "berth")
        let process = try #require(spec.process)
        #expect(process.terminal == true)
        #expect(process.args == ["sh"])
        #expect(process.cwd == "/")
        #expect(process.user == User(uid: 0, gid: 0))
        #expect(process.env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"])
        let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        #expect(process.capabilities == LinuxCapabilities(bounding: caps, effective: caps, permitted: caps))
        #expect(process.rlimits == [POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)])
        #expect(process.noNewPrivileges == true)
        #expect(spec.mounts?.map(\.destination) == ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                                                    "/sys/fs/cgroup"])
        #expect(spec.mounts?[2].options?.contains("gid=5") == true)
        let linux = try #require(spec.linux)
        #expect(linux.namespaces?.map(\.type) == [.pid, .network, .ipc, .uts, .mount])
        #expect(linux.resources?.devices == [LinuxDeviceCgroup(allow: false, access: "rwm")])
        #expect(linux.maskedPaths?.count == 11)
        #expect(linux.readonlyPaths == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])
        #expect(linux.uidMappings == nil)
    }

    @Test func cgroupNamespaceAddedOnCgroup2Hosts() {
        let spec = Spec.defaultSpec(rootless: false, hostUID: 0, hostGID: 0, cgroupNamespace: true)
        #expect(spec.linux?.namespaces?.last?.type == .cgroup)
    }

    @Test func rootlessAppliesRuncToRootless() throws {
        let spec = Spec.defaultSpec(rootless: true, hostUID: 1000, hostGID: 1001, cgroupNamespace: true)
        try spec.validate()
        let linux = try #require(spec.linux)
        #expect(linux.namespaces?.map(\.type) == [.pid, .ipc, .uts, .mount, .cgroup, .user])
        #expect(linux.uidMappings == [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)])
        #expect(linux.gidMappings == [LinuxIDMapping(containerID: 0, hostID: 1001, size: 1)])
        #expect(linux.resources == nil)
        let sys = try #require(spec.mounts?.first { $0.destination == "/sys" })
        #expect(sys == Mount(destination: "/sys", type: "none", source: "/sys",
                             options: ["rbind", "nosuid", "noexec", "nodev", "ro"]))
        let devpts = try #require(spec.mounts?.first { $0.destination == "/dev/pts" })
        #expect(devpts.options == ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"])
    }

    @Test func hostDefaultsValidate() throws {
        try Spec.defaultSpec(rootless: false).validate()
        let rootless = Spec.defaultSpec(rootless: true)
        try rootless.validate()
        #expect(rootless.linux?.namespace(.user) != nil)
        #expect(rootless.linux?.namespace(.network) == nil)
        #expect(rootless.linux?.uidMappings?.count == 1)
        #expect(rootless.linux?.gidMappings?.count == 1)
    }
}
