// exec, ps, pause/resume and features on real containers: an exec'd process lives in the
// container's namespaces and cgroups with the flags' user, env and cwd, its exit status comes
// back, and a paused container is frozen and refuses exec until resumed.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct ExecTests {
    /// A running `sleep` container in its own cgroup; returns its id and cgroup path.
    func sleeper(_ rt: RuntimeHarness) throws -> (String, String) {
        let id = rt.newID()
        let cgroup = "/berth-test-exec-\(id)"
        let bundle = try rt.bundle {
            $0.setProcess("args", ["/bin/sleep", "1000"])
            $0["hostname"] = "exec-box"
            $0.setLinux("cgroupsPath", cgroup)
        }
        let r = try rt.runtime(["run", "--detach", "--bundle", bundle, id])
        #expect(r.status == 0, "\(r.stderr)")
        return (id, cgroup)
    }

    @Test func execJoinsTheContainer() throws {
        try withRuntime { rt in
            let (id, cgroup) = try sleeper(rt)
            let r = try rt.runtime(["exec", id, "/bin/sh", "-c", "hostname; cat /proc/1/comm; grep memory /proc/self/cgroup"])
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "exec-box", "\(r.stdout) \(r.stderr)")
            #expect(lines.dropFirst().first == "sleep")
            // Its own cgroup namespace shows the container's cgroup as the root.
            #expect(lines.last?.hasSuffix(":/") == true || lines.last?.hasSuffix(cgroup) == true, "\(r.stdout)")
            let exit = try rt.runtime(["exec", id, "/bin/sh", "-c", "exit 5"])
            #expect(exit.status == 5)
            let flags = try rt.runtime(["exec", "--user", "1000:1001", "--env", "GREETING=hi", "--cwd", "/tmp", id,
                                        "/bin/sh", "-c", "id -u; id -g; echo $GREETING; pwd"])
            #expect(flags.stdout == "1000\n1001\nhi\n/tmp\n", "\(flags.stdout) \(flags.stderr)")
            let missing = try rt.runtime(["exec", id, "/no/such/program"])
            #expect(missing.status == 1 && missing.stderr.contains("/no/such/program"))
        }
    }

    @Test func execFromAProcessFileAndDetached() throws {
        try withRuntime { rt in
            let (id, _) = try sleeper(rt)
            let file = rt.work + "/process.json"
            let process: [String: Any] = ["args": ["/bin/sleep", "500"], "cwd": "/", "env": ["PATH=/bin"],
                                          "user": ["uid": 0, "gid": 0], "terminal": false]
            try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: file))
            let pidFile = rt.work + "/exec.pid"
            let r = try rt.runtime(["exec", "--detach", "--pid-file", pidFile, "--process", file, id])
            #expect(r.status == 0, "\(r.stderr)")
            let pid = Int32(try String(contentsOfFile: pidFile, encoding: .utf8)) ?? 0
            #expect(pid > 0)
            let ps = try rt.runtime(["ps", "--format", "json", id])
            let pids = try JSONSerialization.jsonObject(with: Data(ps.stdout.utf8)) as? [Int] ?? []
            #expect(pids.count == 2 && pids.contains(Int(pid)), "\(ps.stdout)")
            #expect(pids.first == Int(try statePid(rt, id)))
            let table = try rt.runtime(["ps", id])
            #expect(table.stdout.hasPrefix("UID") && table.stdout.contains("sleep 500"), "\(table.stdout)")
        }
    }

    @Test func pauseFreezesAndResumeThaws() throws {
        try withRuntime { rt in
            let (id, cgroup) = try sleeper(rt)
            #expect(try rt.runtime(["pause", id]).status == 0)
            #expect(try status(rt, id) == "paused")
            let state = try String(contentsOfFile: "/sys/fs/cgroup/freezer\(cgroup)/freezer.state", encoding: .utf8)
            #expect(state.hasPrefix("FROZEN"))
            let refused = try rt.runtime(["exec", id, "/bin/true"])
            #expect(refused.status == 1 && refused.stderr.contains("paused"))
            #expect(try rt.runtime(["pause", id]).status == 1)
            #expect(try rt.runtime(["resume", id]).status == 0)
            #expect(try status(rt, id) == "running")
            #expect(try rt.runtime(["exec", id, "/bin/true"]).status == 0)
            // A paused container can still be deleted with --force (it is thawed to die).
            #expect(try rt.runtime(["pause", id]).status == 0)
            #expect(try rt.runtime(["delete", "--force", id]).status == 0)
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/freezer\(cgroup)"))
        }
    }

    @Test func execIntoAStoppedContainerIsRefused() throws {
        try withRuntime { rt in
            let id = rt.newID()
            let bundle = try rt.bundle { $0.setProcess("args", ["/bin/true"]) }
            #expect(try rt.runtime(["create", "--bundle", bundle, id]).status == 0)
            #expect(try rt.runtime(["start", id]).status == 0)
            try waitUntil { try status(rt, id) == "stopped" }
            let r = try rt.runtime(["exec", id, "/bin/true"])
            #expect(r.status == 1 && r.stderr.contains("stopped"))
        }
    }

    @Test func featuresIsJSON() throws {
        try withRuntime { rt in
            let r = try rt.runtime(["features"])
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            let linux = json?["linux"] as? [String: Any]
            #expect((linux?["namespaces"] as? [String])?.contains("user") == true)
            #expect(json?["ociVersionMax"] as? String == "1.2.1")
        }
    }
}
