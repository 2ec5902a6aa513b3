// berth-runtime on real containers: the create/start/state/kill/delete life, run's exit status,
// and the errors a runc user expects — each observed on a real busybox container.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct LifecycleTests {
    @Test func createStartKillDelete() throws {
        try withRuntime { rt in
            let id = rt.newID()
            let bundle = try rt.bundle { $0.setProcess("args", ["/bin/sleep", "1000"]) }
            let created = try rt.runtime(["create", "--bundle", bundle, "--pid-file", rt.work + "/pid", id])
            #expect(created.status == 0, "\(created.stderr)")
            let state = try rt.runtime(["state", id])
            let json = try JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as! [String: Any]
            #expect(json["status"] as? String == "created")
            #expect(json["id"] as? String == id)
            #expect(json["ociVersion"] as? String != nil)
            let pid = json["pid"] as? Int ?? 0
            #expect(pid > 0)
            #expect(try String(contentsOfFile: rt.work + "/pid", encoding: .utf8) == String(pid))
            // While created, the process is our init, not yet sleep.
            #expect(!((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").contains("sleep"))

            #expect(try rt.runtime(["start", id]).status == 0)
            #expect(try status(rt, id) == "running")
            #expect(try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8).hasPrefix("/bin/sleep"))
            let again = try rt.runtime(["start", id])
            #expect(again.status == 1 && again.stderr.contains("cannot start an already running container"))

            let list = try rt.runtime(["list", "-q"])
            #expect(list.stdout.split(separator: "\n").contains(Substring(id)))

            let refused = try rt.runtime(["delete", id])
            #expect(refused.status == 1 && refused.stderr.contains("not stopped"))

            #expect(try rt.runtime(["kill", id, "KILL"]).status == 0)
            try waitUntil { try status(rt, id) == "stopped" }
            #expect(try rt.runtime(["delete", id]).status == 0)
            let gone = try rt.runtime(["state", id])
            #expect(gone.status == 1 && gone.stderr.contains("does not exist"))
            #expect(!FileManager.default.fileExists(atPath: "\(rt.root)/\(id)"))
        }
    }

    @Test func runReturnsTheContainersExitStatusAndOutput() throws {
        try withRuntime { rt in
            let bundle = try rt.bundle { $0.setProcess("args", ["/bin/sh", "-c", "echo out; echo err >&2; exit 7"]) }
            let id = rt.newID()
            let r = try rt.runtime(["run", "--bundle", bundle, id])
            #expect(r.status == 7)
            #expect(r.stdout == "out\n")
            #expect(r.stderr == "err\n")
            // run deletes the container when it exits.
            #expect(try rt.runtime(["state", id]).status == 1)
        }
    }

    @Test func deleteForceKillsARunningContainer() throws {
        try withRuntime { rt in
            let id = rt.newID()
            let bundle = try rt.bundle { $0.setProcess("args", ["/bin/sleep", "1000"]) }
            #expect(try rt.runtime(["run", "--detach", "--bundle", bundle, id]).status == 0)
            let pid = try statePid(rt, id)
            #expect(try rt.runtime(["delete", "--force", id]).status == 0)
            #expect(kill(pid, 0) != 0 || procState(pid) == "Z")
            #expect(try rt.runtime(["list", "-q"]).stdout.isEmpty)
        }
    }

    @Test func killDeliversTheSignal() throws {
        try withRuntime { rt in
            let id = rt.newID()
            // The trap records which signal arrived: SIGKILL or any other would leave no file.
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sh", "-c", "trap 'echo TERM > /tmp/got; exit 42' TERM; echo ready > /tmp/ready; while true; do sleep 0.05; done"])
                $0.setRoot(readonly: false)
            }
            let rootfs = bundle + "/rootfs"
            #expect(try rt.runtime(["create", "--bundle", bundle, id]).status == 0)
            #expect(try rt.runtime(["start", id]).status == 0)
            try waitUntil { FileManager.default.fileExists(atPath: rootfs + "/tmp/ready") }
            #expect(try rt.runtime(["kill", id, "TERM"]).status == 0)
            try waitUntil { try status(rt, id) == "stopped" }
            #expect(try String(contentsOfFile: rootfs + "/tmp/got", encoding: .utf8) == "TERM\n")
            #expect(try rt.runtime(["delete", id]).status == 0)
        }
    }

    @Test func badInputGetsAClearErrorAndLeavesNothing() throws {
        try withRuntime { rt in
            let empty = try rt.bundle { $0.setProcess("args", [String]()) }
            let id = rt.newID()
            let r1 = try rt.runtime(["create", "--bundle", empty, id])
            #expect(r1.status == 1 && r1.stderr.contains("process.args"))
            #expect(!FileManager.default.fileExists(atPath: "\(rt.root)/\(id)"))

            let missing = try rt.bundle { $0.setProcess("args", ["/bin/no-such-program"]) }
            let r2 = try rt.runtime(["create", "--bundle", missing, id])
            #expect(r2.status == 1 && r2.stderr.contains("/bin/no-such-program"), "\(r2.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(rt.root)/\(id)"))

            let ok = try rt.bundle { $0.setProcess("args", ["/bin/sleep", "1000"]) }
            #expect(try rt.runtime(["create", "--bundle", ok, id]).status == 0)
            let dup = try rt.runtime(["create", "--bundle", ok, id])
            #expect(dup.status == 1 && dup.stderr.contains("already exists"))
            #expect(try rt.runtime(["delete", "--force", id]).status == 0)

            #expect(try rt.runtime(["delete", "no-such-container"]).status == 1)
            #expect(try rt.runtime(["delete", "--force", "no-such-container"]).status == 0)
            let unknown = try rt.runtime(["kill", "no-such-container", "KILL"])
            #expect(unknown.status == 1 && unknown.stderr.contains("does not exist"))
            let badSignal = try rt.runtime(["kill", id, "NOPE"])
            #expect(badSignal.status == 1)
            let badID = try rt.runtime(["state", "../etc"])
            #expect(badID.status == 1 && badID.stderr.contains("invalid container id"))
        }
    }

    @Test func specWritesAConfigThatRuns() throws {
        try withRuntime { rt in
            let dir = rt.work + "/spec-bundle"
            let image = try TestImageLocation.directory()
            #expect(try runProgram("/bin/cp", ["-a", image + "/rootfs", dir + "-rootfs"]).status == 0)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            #expect(try runProgram("/bin/mv", [dir + "-rootfs", dir + "/rootfs"]).status == 0)
            #expect(try rt.runtime(["spec", "--bundle", dir]).status == 0)
            #expect(try rt.runtime(["spec", "--bundle", dir]).status == 1)  // exists: refused
            // runc's default spec wants a terminal; run it without one, as runc users do with sed.
            let url = URL(fileURLWithPath: dir + "/config.json")
            var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            config.setProcess("terminal", false)
            config.setProcess("args", ["/bin/echo", "from spec"])
            try JSONSerialization.data(withJSONObject: config).write(to: url)
            let r = try rt.runtime(["run", "--bundle", dir, rt.newID()])
            #expect(r.status == 0 && r.stdout == "from spec\n", "\(r.stderr)")
        }
    }

    /// `spec --rootless` run by an unprivileged user (nobody) gives a config that same user runs:
    /// its own user namespace maps root to the caller, and cgroups it may not make are skipped.
    @Test func rootlessSpecRunsAsAnUnprivilegedUser() throws {
        try withRuntime { rt in
            let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]
            // Everything nobody touches lives where nobody can reach it, binary included.
            let dir = rt.work + "/rootless", state = rt.work + "/rootless-state", binary = rt.work + "/rootless-bin"
            let image = try TestImageLocation.directory()
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            #expect(try runProgram("/bin/cp", ["-a", image + "/rootfs", dir + "/rootfs"]).status == 0)
            #expect(try runProgram("/bin/cp", [rt.binary, binary]).status == 0)
            #expect(chmod(rt.work, 0o755) == 0 && chown(dir, 65534, 65534) == 0 && chown(state, 65534, 65534) == 0)
            defer { _ = try? runProgram(binary, ["--root", state, "delete", "--force", "rootless"]) }

            let spec = try runProgram("/usr/bin/setpriv", nobody + [binary, "spec", "--rootless", "--bundle", dir])
            try #require(spec.status == 0, "\(spec.stderr)")
            let url = URL(fileURLWithPath: dir + "/config.json")
            var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            config.setProcess("terminal", false)
            config.setProcess("args", ["/bin/sh", "-c", "id -u; cat /proc/self/uid_map"])
            try JSONSerialization.data(withJSONObject: config).write(to: url)

            let r = try runProgram("/usr/bin/setpriv", nobody + [binary, "--root", state, "run", "--bundle", dir, "rootless"])
            let words = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
            #expect(r.status == 0 && words == ["0", "0", "65534", "1"], "\(r.stdout) \(r.stderr)")
            #expect(try runProgram("/usr/bin/setpriv", nobody + [binary, "--root", state, "list", "-q"]).stdout == "")

            // Without cgroups, ps and kill --all go by the init's process tree.
            config.setProcess("args", ["/bin/sh", "-c", "sleep 100 & sleep 100 & wait"])
            try JSONSerialization.data(withJSONObject: config).write(to: url)
            let asNobody = { (args: [String]) in try runProgram("/usr/bin/setpriv", nobody + [binary, "--root", state] + args) }
            #expect(try asNobody(["run", "--detach", "--bundle", dir, "rootless"]).status == 0)
            try waitUntil { (try? JSONSerialization.jsonObject(with: Data(asNobody(["ps", "--format", "json", "rootless"]).stdout.utf8)) as? [Int])?.count == 3 }
            #expect(try asNobody(["kill", "--all", "rootless", "KILL"]).status == 0)
            try waitUntil { try asNobody(["state", "rootless"]).stdout.contains("\"stopped\"") }
            #expect(try asNobody(["delete", "rootless"]).status == 0)
        }
    }
}

func status(_ rt: RuntimeHarness, _ id: String) throws -> String {
    let r = try rt.runtime(["state", id])
    let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return json?["status"] as? String ?? "?"
}

func statePid(_ rt: RuntimeHarness, _ id: String) throws -> Int32 {
    let r = try rt.runtime(["state", id])
    let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return Int32(json?["pid"] as? Int ?? 0)
}

func procState(_ pid: Int32) -> String {
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return "" }
    return String(stat[stat.index(close, offsetBy: 2)...].prefix(1))
}

func waitUntil(_ timeout: Duration = .seconds(10), _ condition: () throws -> Bool) throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        if ContinuousClock.now > deadline { throw HarnessError("condition not met within \(timeout)") }
        usleep(20_000)
    }
}
