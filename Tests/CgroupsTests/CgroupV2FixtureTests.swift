// CgroupV2FixtureTests: CgroupV2Manager against a temporary tree laid out like cgroup2, checking
// the exact bytes written for each controller and the subtree_control enabling in ancestors.
import Errdefs
import OCI
import Testing

@testable import Cgroups

@Suite struct CgroupV2FixtureTests {
    static let leafFiles = [
        "memory.max", "memory.low", "memory.swap.max", "memory.high", "cpu.weight", "cpu.max", "cpu.max.burst",
        "cpu.idle", "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight", "io.max", "hugetlb.2MB.max",
        "hugetlb.2MB.rsvd.max", "hugetlb.1GB.max", "cgroup.procs", "cgroup.freeze", "cgroup.subtree_control",
    ]

    /// A cgroup2 root offering six controllers, with /berth/abc laid out below it.
    static func makeTree() throws -> (Fixture, CgroupV2Manager) {
        let fixture = try Fixture()
        try fixture.file("cgroup.controllers", "cpu io memory pids hugetlb cpuset\n")
        try fixture.file("cgroup.subtree_control")
        try fixture.file("berth/cgroup.subtree_control")
        try fixture.files(in: "berth/abc", leafFiles)
        let manager = try CgroupV2Manager(path: CgroupPath("/berth/abc", containerID: "abc"), root: fixture.root)
        return (fixture, manager)
    }

    @Test func pathsAndDirectory() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        #expect(manager.directory == fixture.path("berth/abc"))
        #expect(manager.paths == ["unified": fixture.path("berth/abc")])
    }

    @Test func createEnablesControllersInAncestorsOnly() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.create()
        #expect(fixture.read("cgroup.subtree_control") == "+cpu +io +memory +pids +hugetlb +cpuset\n")
        #expect(fixture.read("berth/cgroup.subtree_control") == "+cpu +io +memory +pids +hugetlb +cpuset\n")
        #expect(fixture.read("berth/abc/cgroup.subtree_control") == "")
    }

    @Test func createSkipsControllersAlreadyEnabled() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try fixture.file("cgroup.subtree_control", "cpu io memory pids hugetlb cpuset\n")
        try fixture.file("berth/cgroup.subtree_control", "memory pids\n")
        try manager.create()
        #expect(fixture.read("cgroup.subtree_control") == "cpu io memory pids hugetlb cpuset\n")
        #expect(fixture.read("berth/cgroup.subtree_control") == "memory pids\n+cpu +io +hugetlb +cpuset\n")
    }

    @Test func memoryWithSwapConversion() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(memory: LinuxMemory(limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20)))
        #expect(fixture.read("berth/abc/memory.max") == "67108864")
        #expect(fixture.read("berth/abc/memory.low") == "33554432")
        #expect(fixture.read("berth/abc/memory.swap.max") == "33554432")
    }

    @Test func memoryUnlimitedAndNoSwap() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(memory: LinuxMemory(limit: -1)))
        #expect(fixture.read("berth/abc/memory.max") == "max")
        #expect(fixture.read("berth/abc/memory.swap.max") == "max")
        try manager.set(LinuxResources(memory: LinuxMemory(limit: 1 << 30, swap: 1 << 30)))
        #expect(fixture.read("berth/abc/memory.max") == "1073741824")
        #expect(fixture.read("berth/abc/memory.swap.max") == "0")
        try manager.set(LinuxResources(memory: LinuxMemory(limit: 1 << 30, swap: -1)))
        #expect(fixture.read("berth/abc/memory.swap.max") == "max")
        #expect(throws: CoreError.self) { try manager.set(LinuxResources(memory: LinuxMemory(limit: 1 << 30, swap: 1 << 20))) }
    }

    @Test func cpuWeightQuotaAndPeriod() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(cpu: LinuxCPU(shares: 1024, quota: 50_000, period: 100_000, idle: 0)))
        #expect(fixture.read("berth/abc/cpu.weight") == "39")
        #expect(fixture.read("berth/abc/cpu.max") == "50000 100000")
        #expect(fixture.read("berth/abc/cpu.idle") == "0")
        try manager.set(LinuxResources(cpu: LinuxCPU(shares: 2, quota: -1)))
        #expect(fixture.read("berth/abc/cpu.weight") == "1")
        #expect(fixture.read("berth/abc/cpu.max") == "max 100000")
        try manager.set(LinuxResources(cpu: LinuxCPU(shares: 262_144, burst: 1000, period: 20_000)))
        #expect(fixture.read("berth/abc/cpu.weight") == "10000")
        #expect(fixture.read("berth/abc/cpu.max") == "max 20000")
        #expect(fixture.read("berth/abc/cpu.max.burst") == "1000")
    }

    @Test func cpusetAndRealtime() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(cpu: LinuxCPU(cpus: "0-1", mems: "0")))
        #expect(fixture.read("berth/abc/cpuset.cpus") == "0-1")
        #expect(fixture.read("berth/abc/cpuset.mems") == "0")
        #expect(fixture.read("berth/abc/cpu.max") == "")
        #expect(throws: CoreError.self) { try manager.set(LinuxResources(cpu: LinuxCPU(realtimeRuntime: 1000))) }
    }

    @Test(arguments: [(Int64(7), "7"), (-1, "max"), (0, "max"), (100_000, "100000")])
    func pidsMax(limit: Int64, expected: String) throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(pids: LinuxPids(limit: limit)))
        #expect(fixture.read("berth/abc/pids.max") == expected)
    }

    @Test func ioWeightAndMax() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(blockIO: LinuxBlockIO(
            weight: 500,
            throttleReadBpsDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 1_048_576)],
            throttleWriteBpsDevice: [LinuxThrottleDevice(major: 8, minor: 0, rate: 2_097_152)],
            throttleReadIOPSDevice: [LinuxThrottleDevice(major: 8, minor: 16, rate: 100)],
            throttleWriteIOPSDevice: [LinuxThrottleDevice(major: 8, minor: 16, rate: 50)])))
        #expect(fixture.read("berth/abc/io.weight") == "4950")
        #expect(fixture.read("berth/abc/io.max") == "8:0 rbps=1048576\n8:0 wbps=2097152\n8:16 riops=100\n8:16 wiops=50\n")
    }

    @Test func ioWeightPerDeviceAndBFQ() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(blockIO: LinuxBlockIO(weightDevice: [LinuxWeightDevice(major: 8, minor: 0, weight: 100)])))
        #expect(fixture.read("berth/abc/io.weight") == "8:0 910\n")
        // With BFQ the weight goes unconverted to io.bfq.weight.
        try fixture.file("berth/abc/io.bfq.weight")
        try manager.set(LinuxResources(blockIO: LinuxBlockIO(weight: 500)))
        #expect(fixture.read("berth/abc/io.bfq.weight") == "500")
    }

    @Test func hugetlbLimits() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(hugepageLimits: [
            LinuxHugepageLimit(pageSize: "2MB", limit: 4 << 20), LinuxHugepageLimit(pageSize: "1GB", limit: 1 << 30),
        ]))
        #expect(fixture.read("berth/abc/hugetlb.2MB.max") == "4194304")
        #expect(fixture.read("berth/abc/hugetlb.2MB.rsvd.max") == "4194304")
        #expect(fixture.read("berth/abc/hugetlb.1GB.max") == "1073741824")
        #expect(!fixture.exists("berth/abc/hugetlb.1GB.rsvd.max"))
    }

    @Test func unifiedIsVerbatim() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(unified: ["memory.high": "50000000", "pids.max": "9"]))
        #expect(fixture.read("berth/abc/memory.high") == "50000000")
        #expect(fixture.read("berth/abc/pids.max") == "9")
        #expect(throws: CoreError.self) { try manager.set(LinuxResources(unified: ["../cgroup.procs": "1"])) }
        do {
            try manager.set(LinuxResources(unified: ["rdma.max": "mlx4_0 hca_handle=2"]))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.cause?.errno == 2)
        }
    }

    @Test func freezeThawAndPids() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try fixture.file("berth/abc/cgroup.events", "populated 1\nfrozen 1\n")
        try manager.freeze()
        #expect(fixture.read("berth/abc/cgroup.freeze") == "1")
        try manager.thaw()
        #expect(fixture.read("berth/abc/cgroup.freeze") == "0")
        try fixture.file("berth/abc/cgroup.procs", "12\n34\n")
        try fixture.file("berth/abc/sub/cgroup.procs", "56\n")
        #expect(try manager.pids().sorted() == [12, 34, 56])
    }

    @Test func applyWritesThePid() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.apply(pid: 4242)
        #expect(fixture.read("berth/abc/cgroup.procs") == "4242")
    }

    @Test func stats() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try fixture.file("berth/abc/memory.current", "1234\n")
        try fixture.file("berth/abc/memory.max", "max\n")
        try fixture.file("berth/abc/pids.current", "3\n")
        try fixture.file("berth/abc/pids.max", "7\n")
        try fixture.file("berth/abc/cpu.stat", "usage_usec 250\nuser_usec 200\nsystem_usec 50\n")
        #expect(try manager.stats() == CgroupStats(memoryUsage: 1234, memoryLimit: nil, pidsCurrent: 3, pidsLimit: 7, cpuUsageNanoseconds: 250_000))
    }

    @Test func createAndDestroyDirectories() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.file("cgroup.controllers", "memory pids\n")
        try fixture.file("cgroup.subtree_control")
        let manager = try CgroupV2Manager(path: CgroupPath("/berth/abc/def", containerID: "x"), root: fixture.root)
        try manager.create()
        #expect(fixture.exists("berth/abc/def"))
        try fixture.directory("berth/abc/def/sub/deeper")
        try manager.destroy()
        #expect(!fixture.exists("berth/abc/def"))
        #expect(fixture.exists("berth/abc"))
        try manager.destroy()  // already gone: still fine
    }

    @Test func relativePathUsesTheParentOfOwnCgroup() throws {
        let own = ProcessCgroups(parsing: "0::/user.slice/session-1.scope\n")
        let manager = try CgroupV2Manager(path: CgroupPath("berth/abc", containerID: "x"), root: "/sys/fs/cgroup", ownCgroups: own)
        #expect(manager.directory == "/sys/fs/cgroup/user.slice/berth/abc")
        let rootOwn = ProcessCgroups(parsing: "0::/\n")
        let top = try CgroupV2Manager(path: CgroupPath("berth", containerID: "x"), root: "/sys/fs/cgroup", ownCgroups: rootOwn)
        #expect(top.directory == "/sys/fs/cgroup/berth")
    }
}
