// CgroupPathTests: cgroupsPath parsing (absolute, relative, default, cleaning, systemd form),
// /proc/self/cgroup parsing and directory resolution.
import Errdefs
import Testing

@testable import Cgroups

@Suite struct CgroupPathTests {
    @Test func defaultsToTheContainerID() throws {
        #expect(try CgroupPath(nil, containerID: "abc") == .absolute("/abc"))
        #expect(try CgroupPath("", containerID: "abc") == .absolute("/abc"))
    }

    @Test func absoluteAndRelative() throws {
        #expect(try CgroupPath("/berth/abc", containerID: "x") == .absolute("/berth/abc"))
        #expect(try CgroupPath("berth/abc", containerID: "x") == .relative("berth/abc"))
        #expect(try CgroupPath("a:b", containerID: "x") == .relative("a:b"))
    }

    @Test func cleansDotDot() throws {
        #expect(try CgroupPath("/berth/../../../etc//x/./y", containerID: "x") == .absolute("/etc/x/y"))
        #expect(try CgroupPath("../../berth", containerID: "x") == .relative("berth"))
        #expect(try CgroupPath(nil, containerID: "../../evil") == .absolute("/evil"))
    }

    @Test func refusesTheRoot() {
        for path in ["/", "..", "/./", "a/.."] {
            #expect(throws: CoreError.self) { try CgroupPath(path, containerID: "x") }
        }
    }

    @Test func refusesTheSystemdFormWithoutSystemd() {
        do {
            _ = try CgroupPath("system.slice:berth:abc", containerID: "abc", systemdAvailable: false)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .failedPrecondition)
            #expect(error.message.hasPrefix("systemd cgroup driver is not available: no systemd"))
        }
        #expect(CgroupPath.isSystemdForm(":berth:abc"))
        #expect(!CgroupPath.isSystemdForm("/system.slice:berth:abc"))
        #expect(!CgroupPath.isSystemdForm("berth:abc:def"))
    }

    @Test func refusesTheSystemdFormWithSystemdToo() {
        do {
            _ = try CgroupPath(":berth:abc", containerID: "abc", systemdAvailable: true)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unimplemented)
        }
    }

    @Test func parsesProcSelfCgroup() {
        let own = ProcessCgroups(parsing: """
            9:name=systemd:/init.scope
            4:memory:/process_api/9328
            2:cpu,cpuacct:/user
            0::/
            """)
        #expect(own.path(for: "memory") == "/process_api/9328")
        #expect(own.path(for: "cpuacct") == "/user")
        #expect(own.path(for: "name=systemd") == "/init.scope")
        #expect(own.path(for: "") == "/")
        #expect(own.path(for: "pids") == "/")
    }

    @Test func resolvesDirectories() throws {
        let absolute = try CgroupPath("/berth/abc", containerID: "x")
        #expect(absolute.directory(mountPoint: "/sys/fs/cgroup/memory", ownPath: "/ignored") == "/sys/fs/cgroup/memory/berth/abc")
        let relative = try CgroupPath("berth/abc", containerID: "x")
        #expect(relative.directory(mountPoint: "/sys/fs/cgroup/memory", ownPath: "/process_api/1") == "/sys/fs/cgroup/memory/process_api/1/berth/abc")
        #expect(relative.directory(mountPoint: "/sys/fs/cgroup/cpu", ownPath: "/") == "/sys/fs/cgroup/cpu/berth/abc")
    }
}
