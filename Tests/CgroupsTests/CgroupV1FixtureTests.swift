// CgroupV1FixtureTests: CgroupV1Manager against a temporary tree with one directory per
// controller, checking the exact bytes written and the devices.allow/deny sequence.
import Errdefs
import OCI
import Testing

@testable import Cgroups

@Suite struct CgroupV1FixtureTests {
    static let controllerFiles: [String: [String]] = [
        "memory": ["memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.swappiness",
            "memory.oom_control", "memory.kmem.tcp.limit_in_bytes", "memory.usage_in_bytes"],
        "cpu": ["cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.rt_period_us", "cpu.rt_runtime_us"],
        "cpuacct": ["cpuacct.usage"],
        "cpuset": ["cpuset.cpus", "cpuset.mems"],
        "pids": ["pids.max", "pids.current"],
        "blkio": ["blkio.weight", "blkio.weight_device", "blkio.leaf_weight", "blkio.throttle.read_bps_device",
            "blkio.throttle.write_iops_device"],
        "devices": ["devices.allow", "devices.deny"],
        "freezer": ["freezer.state"],
        "hugetlb": ["hugetlb.2MB.limit_in_bytes"],
        "systemd": [],
    ]

    /// Per-controller hierarchies with /berth/abc laid out in each, every file in cgroup.procs too.
    static func makeTree() throws -> (Fixture, CgroupV1Manager) {
        let fixture = try Fixture()
        for (controller, files) in controllerFiles {
            try fixture.files(in: "\(controller)/berth/abc", files + ["cgroup.procs"])
        }
        try fixture.file("memory/berth/abc/memory.limit_in_bytes", "9223372036854771712\n")
        try fixture.file("cpuset/cpuset.cpus", "0-1\n")
        try fixture.file("cpuset/cpuset.mems", "0\n")
        try fixture.files(in: "cpuset/berth", ["cpuset.cpus", "cpuset.mems"])
        let manager = try CgroupV1Manager(path: CgroupPath("/berth/abc", containerID: "abc"), root: fixture.root)
        return (fixture, manager)
    }

    @Test func pathsCoverMountedControllersOnly() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        #expect(Set(manager.paths.keys) == ["memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "devices", "freezer", "hugetlb", "name=systemd"])
        #expect(manager.paths["name=systemd"] == fixture.path("systemd/berth/abc"))
        #expect(manager.paths["memory"] == fixture.path("memory/berth/abc"))
        #expect(manager.paths["net_cls"] == nil)
    }

    @Test func createCopiesCpusetFromTheParent() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.create()
        #expect(fixture.read("cpuset/berth/cpuset.cpus") == "0-1")
        #expect(fixture.read("cpuset/berth/abc/cpuset.cpus") == "0-1")
        #expect(fixture.read("cpuset/berth/abc/cpuset.mems") == "0")
        try manager.set(LinuxResources(cpu: LinuxCPU(cpus: "1", mems: "0")))
        #expect(fixture.read("cpuset/berth/abc/cpuset.cpus") == "1")
    }

    @Test func memoryLimits() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(memory: LinuxMemory(
            limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, kernelTCP: 1 << 20, swappiness: 60, disableOOMKiller: true)))
        #expect(fixture.read("memory/berth/abc/memory.limit_in_bytes") == "67108864")
        #expect(fixture.read("memory/berth/abc/memory.memsw.limit_in_bytes") == "134217728")
        #expect(fixture.read("memory/berth/abc/memory.soft_limit_in_bytes") == "33554432")
        #expect(fixture.read("memory/berth/abc/memory.kmem.tcp.limit_in_bytes") == "1048576")
        #expect(fixture.read("memory/berth/abc/memory.swappiness") == "60")
        #expect(fixture.read("memory/berth/abc/memory.oom_control") == "1")
        #expect(throws: CoreError.self) { try manager.set(LinuxResources(memory: LinuxMemory(swappiness: 101))) }
    }

    @Test func unlimitedMemoryAlsoLiftsSwap() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(memory: LinuxMemory(limit: -1)))
        #expect(fixture.read("memory/berth/abc/memory.limit_in_bytes") == "-1")
        #expect(fixture.read("memory/berth/abc/memory.memsw.limit_in_bytes") == "-1")
    }

    @Test func cpuSharesQuotaPeriod() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(cpu: LinuxCPU(shares: 512, quota: 50_000, period: 100_000, realtimeRuntime: 950, realtimePeriod: 1000)))
        #expect(fixture.read("cpu/berth/abc/cpu.shares") == "512")
        #expect(fixture.read("cpu/berth/abc/cpu.cfs_quota_us") == "50000")
        #expect(fixture.read("cpu/berth/abc/cpu.cfs_period_us") == "100000")
        #expect(fixture.read("cpu/berth/abc/cpu.rt_period_us") == "1000")
        #expect(fixture.read("cpu/berth/abc/cpu.rt_runtime_us") == "950")
    }

    @Test(arguments: [(Int64(7), "7"), (-1, "max"), (0, "max")])
    func pidsMax(limit: Int64, expected: String) throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(pids: LinuxPids(limit: limit)))
        #expect(fixture.read("pids/berth/abc/pids.max") == expected)
    }

    @Test func blkioWeightAndThrottles() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(blockIO: LinuxBlockIO(
            weight: 300, leafWeight: 200, weightDevice: [LinuxWeightDevice(major: 8, minor: 0, weight: 400)],
            throttleReadBpsDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 1000), LinuxThrottleDevice(major: 8, minor: 16, rate: 2000)],
            throttleWriteIOPSDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 30)])))
        #expect(fixture.read("blkio/berth/abc/blkio.weight") == "300")
        #expect(fixture.read("blkio/berth/abc/blkio.leaf_weight") == "200")
        #expect(fixture.read("blkio/berth/abc/blkio.weight_device") == "8:0 400\n")
        #expect(fixture.read("blkio/berth/abc/blkio.throttle.read_bps_device") == "8:0 1000\n8:16 2000\n")
        #expect(fixture.read("blkio/berth/abc/blkio.throttle.write_iops_device") == "8:0 30\n")
    }

    @Test func devicesDenyAllThenRulesInOrder() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(devices: [
            LinuxDeviceCgroup(allow: false, access: "rwm"),
            LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
            LinuxDeviceCgroup(allow: true, type: "c", access: "m"),
            LinuxDeviceCgroup(allow: false, type: "b", major: 8, access: "w"),
            LinuxDeviceCgroup(allow: true, type: "c", major: 136, minor: -1),
        ]))
        #expect(fixture.read("devices/berth/abc/devices.deny") == "a\na *:* rwm\nb 8:* w\n")
        #expect(fixture.read("devices/berth/abc/devices.allow") == "c 1:3 rwm\nc *:* m\nc 136:* rwm\n")
    }

    @Test func invalidDeviceRulesWriteNothing() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        #expect(throws: CoreError.self) { try manager.set(LinuxResources(devices: [LinuxDeviceCgroup(allow: true, type: "x")])) }
        #expect(throws: CoreError.self) { try manager.set(LinuxResources(devices: [LinuxDeviceCgroup(allow: true, access: "rwx")])) }
        #expect(fixture.read("devices/berth/abc/devices.deny") == "")
    }

    @Test func hugetlbAndMissingControllers() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(hugepageLimits: [LinuxHugepageLimit(pageSize: "2MB", limit: 2 << 20)]))
        #expect(fixture.read("hugetlb/berth/abc/hugetlb.2MB.limit_in_bytes") == "2097152")
        do {
            try manager.set(LinuxResources(network: LinuxNetwork(classID: 0x100001)))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .failedPrecondition)
            #expect(error.message.contains("net_cls"))
        }
        #expect(throws: CoreError.self) { try manager.set(LinuxResources(unified: ["memory.high": "1"])) }
    }

    @Test func applyFreezeThawPidsStats() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.apply(pid: 4242)
        for controller in Self.controllerFiles.keys {
            #expect(fixture.read("\(controller)/berth/abc/cgroup.procs") == "4242")
        }
        try manager.freeze()
        #expect(fixture.read("freezer/berth/abc/freezer.state") == "FROZEN")
        try manager.thaw()
        #expect(fixture.read("freezer/berth/abc/freezer.state") == "THAWED")
        #expect(try manager.pids() == [4242])
        try fixture.file("memory/berth/abc/memory.usage_in_bytes", "4096\n")
        try fixture.file("pids/berth/abc/pids.current", "1\n")
        try fixture.file("pids/berth/abc/pids.max", "max\n")
        try fixture.file("cpuacct/berth/abc/cpuacct.usage", "123456789\n")
        #expect(try manager.stats() == CgroupStats(memoryUsage: 4096, memoryLimit: nil, pidsCurrent: 1, pidsLimit: nil, cpuUsageNanoseconds: 123_456_789))
    }

    @Test func relativePathFollowsOwnCgroupPerController() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        for controller in ["memory", "cpu", "systemd"] { try fixture.directory(controller) }
        let own = ProcessCgroups(parsing: "9:name=systemd:/init.scope\n4:memory:/process_api/x\n1:cpu:/\n0::/\n")
        let manager = try CgroupV1Manager(path: CgroupPath("berth/abc", containerID: "x"), root: fixture.root, ownCgroups: own)
        #expect(manager.paths == [
            "memory": fixture.path("memory/process_api/x/berth/abc"),
            "cpu": fixture.path("cpu/berth/abc"),
            "name=systemd": fixture.path("systemd/init.scope/berth/abc"),
        ])
        try manager.create()
        #expect(fixture.exists("memory/process_api/x/berth/abc"))
        try manager.destroy()
        #expect(!fixture.exists("memory/process_api/x/berth/abc"))
        #expect(!fixture.exists("cpu/berth/abc"))
        try manager.destroy()
    }

    @Test func noHierarchyIsAnError() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        #expect(throws: CoreError.self) { try CgroupV1Manager(path: CgroupPath("/x", containerID: "x"), root: fixture.root) }
    }
}
