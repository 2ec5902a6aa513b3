// HybridFixtureTests: HybridCgroupManager and the factory against a temporary tree laid out like
// this project's machine kind (v1 per controller, cgroup2 at unified/ holding hugetlb).
import Errdefs
import OCI
import Testing

@testable import Cgroups

@Suite struct HybridFixtureTests {
    static func makeTree(unifiedControllers: String = "hugetlb\n") throws -> (Fixture, HybridCgroupManager) {
        let fixture = try Fixture()
        try fixture.files(in: "memory/berth/abc", ["memory.limit_in_bytes", "cgroup.procs"])
        try fixture.files(in: "pids/berth/abc", ["pids.max", "cgroup.procs"])
        try fixture.files(in: "freezer/berth/abc", ["freezer.state", "cgroup.procs"])
        try fixture.file("unified/cgroup.controllers", unifiedControllers)
        try fixture.file("unified/cgroup.subtree_control")
        try fixture.file("unified/berth/cgroup.subtree_control")
        try fixture.files(in: "unified/berth/abc", ["hugetlb.2MB.max", "memory.high", "cgroup.procs"])
        let manager = try HybridCgroupManager(path: CgroupPath("/berth/abc", containerID: "abc"), root: fixture.root)
        return (fixture, manager)
    }

    @Test func pathsIncludeTheUnifiedDirectory() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        #expect(manager.paths == [
            "memory": fixture.path("memory/berth/abc"), "pids": fixture.path("pids/berth/abc"),
            "freezer": fixture.path("freezer/berth/abc"), "unified": fixture.path("unified/berth/abc"),
        ])
    }

    @Test func createLeavesSubtreeControlAlone() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.create()
        #expect(fixture.read("unified/cgroup.subtree_control") == "")
    }

    @Test func hugetlbGoesToTheUnifiedHierarchy() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.set(LinuxResources(memory: LinuxMemory(limit: 64 << 20), pids: LinuxPids(limit: 7),
            hugepageLimits: [LinuxHugepageLimit(pageSize: "2MB", limit: 8 << 20)], unified: ["memory.high": "1000"]))
        #expect(fixture.read("memory/berth/abc/memory.limit_in_bytes") == "67108864")
        #expect(fixture.read("pids/berth/abc/pids.max") == "7")
        #expect(fixture.read("unified/berth/abc/hugetlb.2MB.max") == "8388608")
        #expect(fixture.read("unified/cgroup.subtree_control") == "+hugetlb\n")
        #expect(fixture.read("unified/berth/cgroup.subtree_control") == "+hugetlb\n")
        #expect(fixture.read("unified/berth/abc/memory.high") == "1000")
    }

    @Test func hugetlbWithoutAnyHugetlbControllerFails() throws {
        let (fixture, manager) = try Self.makeTree(unifiedControllers: "\n")
        defer { fixture.remove() }
        do {
            try manager.set(LinuxResources(hugepageLimits: [LinuxHugepageLimit(pageSize: "2MB", limit: 8 << 20)]))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .failedPrecondition)
        }
    }

    @Test func applyJoinsBothAndFreezesThroughV1() throws {
        let (fixture, manager) = try Self.makeTree()
        defer { fixture.remove() }
        try manager.apply(pid: 99)
        #expect(fixture.read("memory/berth/abc/cgroup.procs") == "99")
        #expect(fixture.read("unified/berth/abc/cgroup.procs") == "99")
        try manager.freeze()
        #expect(fixture.read("freezer/berth/abc/freezer.state") == "FROZEN")
        try manager.thaw()
        #expect(fixture.read("freezer/berth/abc/freezer.state") == "THAWED")
    }

    @Test func relativePathJoinsOwnUnifiedCgroup() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.directory("memory")
        try fixture.directory("unified")
        let own = ProcessCgroups(parsing: "4:memory:/process_api/x\n0::/init.scope\n")
        let manager = try HybridCgroupManager(path: CgroupPath("berth", containerID: "x"), root: fixture.root, ownCgroups: own)
        #expect(manager.paths == ["memory": fixture.path("memory/process_api/x/berth"), "unified": fixture.path("unified/init.scope/berth")])
    }

    @Test func factoryPicksTheManager() throws {
        let (fixture, _) = try Self.makeTree()
        defer { fixture.remove() }
        #expect(try makeCgroupManager(path: "/berth/abc", containerID: "abc", mode: .hybrid, root: fixture.root) is HybridCgroupManager)
        #expect(try makeCgroupManager(path: nil, containerID: "abc", mode: .v1, root: fixture.root).paths["memory"] == fixture.path("memory/abc"))
        #expect(try makeCgroupManager(path: nil, containerID: "abc", mode: .v2, root: fixture.root).paths == ["unified": fixture.path("abc")])
        #expect(throws: CoreError.self) { try makeCgroupManager(path: "system.slice:berth:abc", containerID: "abc", mode: .v1, root: fixture.root) }
    }
}
