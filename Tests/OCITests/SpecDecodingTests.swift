// SpecDecodingTests: config.json decodes into the models field by field, survives an
// encode/decode round trip, ignores keys berth does not model, and reports type errors by path.
import Errdefs
@testable import OCI
import Testing

@Suite struct SpecDecodingTests {
    @Test func decodesProcess() throws {
        let spec = try Spec.decode(from: Fixtures.fullConfigData)
        #expect(spec.ociVersion == "1.2.0")
        let process = try #require(spec.process)
        #expect(process.terminal == false)
        #expect(process.consoleSize == ConsoleSize(height: 24, width: 80))
        #expect(process.user == User(uid: 1000, gid: 1000, umask: 18, additionalGids: [5, 27]))
        #expect(process.args == ["/bin/sh", "-c", "echo hello"])
        #expect(process.env?.count == 2)
        #expect(process.cwd == "/work")
        #expect(process.capabilities?.ambient == ["CAP_NET_BIND_SERVICE"])
        #expect(process.capabilities?.inheritable == nil)
        #expect(process.rlimits?[1] == POSIXRlimit(type: "RLIMIT_NPROC", hard: 4096, soft: 2048))
        #expect(process.noNewPrivileges == true)
        #expect(process.apparmorProfile == "berth-default")
        #expect(process.oomScoreAdj == -500)
        #expect(process.selinuxLabel == "system_u:system_r:container_t:s0:c1,c2")
        #expect(process.ioPriority == LinuxIOPriority(class: "IOPRIO_CLASS_BE", priority: 4))
        #expect(process.scheduler == nil)
    }

    @Test func decodesRootMountsHooksAnnotations() throws {
        let spec = try Spec.decode(from: Fixtures.fullConfigData)
        #expect(spec.root == Root(path: "rootfs", readonly: true))
        #expect(spec.hostname == "web-1")
        #expect(spec.domainname == "example.org")
        #expect(spec.mounts?.count == 3)
        #expect(spec.mounts?[0] == Mount(destination: "/proc", type: "proc", source: "proc"))
        #expect(spec.mounts?[2].uidMappings == [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)])
        let hooks = try #require(spec.hooks)
        #expect(hooks.prestart == [Hook(path: "/usr/bin/fix-mounts", args: ["fix-mounts", "arg1"])])
        #expect(hooks.createRuntime?.first?.timeout == 5)
        #expect(hooks.createRuntime?.first?.env == ["KEY=value"])
        #expect(hooks.all.map(\.name) == ["prestart", "createRuntime", "createContainer", "startContainer",
                                          "poststart", "poststop"])
        #expect(spec.annotations?["com.example.key1"] == "value1")
    }

    @Test func decodesLinux() throws {
        let linux = try #require(try Spec.decode(from: Fixtures.fullConfigData).linux)
        #expect(linux.gidMappings == [LinuxIDMapping(containerID: 0, hostID: 200000, size: 65536)])
        #expect(linux.sysctl?["net.ipv4.ip_forward"] == "1")
        #expect(linux.cgroupsPath == "/berth/web-1")
        #expect(linux.namespaces?.map(\.type) == [.pid, .network, .ipc, .uts, .mount, .user, .cgroup])
        #expect(linux.namespace(.network)?.path == "/var/run/netns/web")
        #expect(linux.namespace(.time) == nil)
        #expect(linux.devices?[0] == LinuxDevice(path: "/dev/fuse", type: "c", major: 10, minor: 229,
                                                 fileMode: 0o666, uid: 0, gid: 0))
        #expect(linux.devices?[1].major == nil)
        #expect(linux.rootfsPropagation == "rslave")
        #expect(linux.maskedPaths == ["/proc/kcore", "/sys/firmware"])
        #expect(linux.readonlyPaths == ["/proc/sys", "/proc/sysrq-trigger"])
        #expect(linux.mountLabel == "system_u:object_r:container_file_t:s0:c1,c2")
    }

    @Test func decodesResources() throws {
        let resources = try #require(try Spec.decode(from: Fixtures.fullConfigData).linux?.resources)
        #expect(resources.devices?[0] == LinuxDeviceCgroup(allow: false, access: "rwm"))
        #expect(resources.devices?[2] == LinuxDeviceCgroup(allow: true, type: "b", major: 8, access: "r"))
        #expect(resources.memory == LinuxMemory(limit: 536870912, reservation: 268435456, swap: 1073741824,
                                                kernelTCP: 1048576, swappiness: 0, disableOOMKiller: false,
                                                checkBeforeUpdate: true))
        #expect(resources.cpu == LinuxCPU(shares: 1024, quota: 50000, burst: 10000, period: 100000,
                                          realtimeRuntime: 950000, realtimePeriod: 1000000, cpus: "0-1",
                                          mems: "0", idle: 0))
        #expect(resources.pids == LinuxPids(limit: 512))
        let blockIO = try #require(resources.blockIO)
        #expect(blockIO.weight == 500 && blockIO.leafWeight == 300)
        #expect(blockIO.weightDevice == [LinuxWeightDevice(major: 8, minor: 0, weight: 600, leafWeight: 200)])
        #expect(blockIO.throttleReadBpsDevice == [LinuxThrottleDevice(major: 8, minor: 0, rate: 104857600)])
        #expect(blockIO.throttleWriteBpsDevice?.first?.rate == 52428800)
        #expect(blockIO.throttleReadIOPSDevice?.first?.rate == 1000)
        #expect(blockIO.throttleWriteIOPSDevice == [LinuxThrottleDevice(major: 8, minor: 16, rate: 300)])
        #expect(resources.hugepageLimits == [LinuxHugepageLimit(pageSize: "2MB", limit: 209715200)])
        #expect(resources.network == LinuxNetwork(classID: 1048577,
                                                  priorities: [LinuxInterfacePriority(name: "eth0", priority: 500)]))
        #expect(resources.unified == ["memory.high": "400000000", "io.weight": "default 100"])
    }

    @Test func decodesSeccomp() throws {
        let seccomp = try #require(try Spec.decode(from: Fixtures.fullConfigData).linux?.seccomp)
        #expect(seccomp.defaultAction == "SCMP_ACT_ERRNO")
        #expect(seccomp.defaultErrnoRet == 1)
        #expect(seccomp.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(seccomp.flags == ["SECCOMP_FILTER_FLAG_LOG"])
        #expect(seccomp.listenerPath == "/run/berth/seccomp.sock")
        #expect(seccomp.listenerMetadata == "web-1")
        #expect(seccomp.syscalls?.count == 4)
        #expect(seccomp.syscalls?[1].args == [LinuxSeccompArg(index: 0, value: 8, op: "SCMP_CMP_EQ")])
        #expect(seccomp.syscalls?[2].errnoRet == 38)
        #expect(seccomp.syscalls?[2].args?[0].valueTwo == 0)
        #expect(seccomp.syscalls?[2].args?[0].op == "SCMP_CMP_MASKED_EQ")
    }

    @Test func fullConfigValidates() throws {
        try Spec.decode(from: Fixtures.fullConfigData).validate()
    }

    @Test func roundTripsThroughJSON() throws {
        let spec = try Spec.decode(from: Fixtures.fullConfigData)
        #expect(try Spec.decode(from: spec.encoded()) == spec)
        #expect(try Spec.decode(from: spec.encodedPretty()) == spec)
        let defaults = Spec.defaultSpec(rootless: true)
        #expect(try Spec.decode(from: defaults.encodedPretty()) == defaults)
    }

    @Test func encodingOmitsAbsentFieldsAndUsesSpecKeys() throws {
        let spec = Spec(process: Process(args: ["true"], oomScoreAdj: 5), root: Root(path: "rootfs"),
                        linux: LinuxConfig(uidMappings: [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)],
                                     resources: LinuxResources(blockIO: LinuxBlockIO(
                                         throttleReadIOPSDevice: [LinuxThrottleDevice(major: 1, minor: 2, rate: 3)]))))
        let text = String(decoding: try spec.encoded(), as: UTF8.self)
        for key in ["\"ociVersion\"", "\"oomScoreAdj\":5", "\"uidMappings\"", "\"containerID\":0", "\"hostID\":1000",
                    "\"blockIO\"", "\"throttleReadIOPSDevice\""] {
            #expect(text.contains(key), "missing \(key) in \(text)")
        }
        for key in ["hostname", "terminal", "readonly", "hooks", "mounts", "null"] {
            #expect(!text.contains(key), "unexpected \(key) in \(text)")
        }
    }

    @Test func prettyOutputIsIndentedWithSortedKeys() throws {
        let text = String(decoding: try Spec.defaultSpec(rootless: false).encodedPretty(), as: UTF8.self)
        #expect(text.contains("\n  \"hostname\""))
        #expect(text.contains("\"/proc/acpi\""), "slashes must not be escaped")
        let top = ["\"hostname\"", "\"linux\"", "\"mounts\"", "\"ociVersion\"", "\"process\"", "\"root\""]
        let positions = top.compactMap { text.firstRange(of: "\n  " + $0)?.lowerBound }
        #expect(positions.count == top.count && positions == positions.sorted())
    }

    @Test func unknownKeysAreIgnored() throws {
        let json = #"{"ociVersion": "1.3.0", "future": true, "process": {"user": {"uid": 0, "gid": 0, "x": 1},"#
            + #""cwd": "/", "args": ["sh"], "newThing": [1]}, "root": {"path": "r", "z": {}}}"#
        let spec = try Spec.decode(from: Array(json.utf8))
        #expect(spec.process?.args == ["sh"])
        #expect(spec.root?.path == "r")
    }

    @Test func typeErrorNamesTheJSONPath() {
        let json = #"{"ociVersion": "1.0.2", "process": {"user": {"uid": "zero", "gid": 0}, "cwd": "/"}}"#
        let error = #expect(throws: CoreError.self) { try Spec.decode(from: Array(json.utf8)) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("config.json: process.user.uid") == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        (#"{"ociVersion": "1.0.0", "process": {"user": {"uid": 0, "gid": 0}}}"#, "config.json: process.cwd is required"),
        (#"{"ociVersion": "1.0.0", "root": {"readonly": true}}"#, "config.json: root.path is required"),
        (#"{"ociVersion": "1.0.0", "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "foo"}]}}"#,
         #"config.json: linux.namespaces[2].type "foo" is not a namespace type"#),
        (#"{"ociVersion": "1.0.0", "linux": {"uidMappings": [{"containerID": 0, "hostID": -1, "size": 1}]}}"#,
         "config.json: linux.uidMappings[0].hostID -1 is out of range for its type"),
        (#"{"ociVersion": "1.0.0", "process": {"user": {"uid": 0, "gid": 0, "additionalGids": [1, 4294967296]}}}"#,
         "config.json: process.user.additionalGids[1] 4294967296 is out of range for its type"),
        (#"{"ociVersion": "1.0.0", "process": {"oomScoreAdj": -5, "user": {"uid": 0.5, "gid": 0}, "cwd": "/"}}"#,
         "config.json: process.user.uid 0.5 is out of range for its type"),
        (#"{"ociVersion": "1.0.0", "mounts": [{"destination": "/a"}, {"destination": null}]}"#,
         "config.json: mounts[1].destination must not be null"),
        (#"{"ociVersion": "1.0.0", "linux": {"resources": {"pids": {"limit": "many"}}}}"#,
         "config.json: linux.resources.pids.limit has the wrong type"),
        (#"{"ociVersion": 1}"#, "config.json: ociVersion has the wrong type (expected a string)"),
        (#"{"ociVersion": "1.0.0", "process": "#, "config.json: invalid JSON at line 1, column 36: unexpected end"),
        ("{\n  \"ociVersion\": \"1.0.0\",\n  \"hostname\": \"a\" \"b\"\n}",
         "config.json: invalid JSON at line 3, column 19: expected ',' or '}'"),
    ])
    func decodingErrorsNameTheField(json: String, expected: String) {
        let error = #expect(throws: CoreError.self) { try Spec.decode(from: Array(json.utf8)) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix(expected) == true, "got: \(error?.message ?? "no error")")
    }
}
