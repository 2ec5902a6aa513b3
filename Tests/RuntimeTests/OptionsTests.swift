// runc's options on real containers: --no-pivot, --preserve-fds, --log/--log-format json,
// --systemd-cgroup without systemd, kill --all, and the process fields domainname, umask and
// oomScoreAdj; plus the CVE-2024-21626 property that no runtime descriptor reaches the container.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct OptionsTests {
    @Test func noPivotRunsInAChroot() throws {
        try withRuntime { rt in
            let bundle = try rt.bundle { $0.setProcess("args", ["/bin/sh", "-c", "cat /etc/passwd | head -1; echo $$"]) }
            let r = try rt.runtime(["run", "--no-pivot", "--bundle", bundle, rt.newID()])
            #expect(r.stdout == "root:x:0:0:root:/root:/bin/sh\n1\n", "\(r.stdout) \(r.stderr)")
        }
    }

    @Test func onlyStdioAndPreservedDescriptorsReachTheContainer() throws {
        try withRuntime { rt in
            let file = rt.work + "/preserved"
            try "passed through fd 3\n".write(toFile: file, atomically: true, encoding: .utf8)
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            defer { close(fd) }
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sh", "-c", "cat <&3; ls /proc/self/fd | tr '\\n' ' '"])
            }
            let r = try rt.runtime(["run", "--preserve-fds", "1", "--bundle", bundle, rt.newID()], extraFDs: [fd])
            // ls sees 0-2, the preserved 3, and the directory it is reading.
            #expect(r.stdout == "passed through fd 3\n0 1 2 3 4 ", "\(r.stdout) \(r.stderr)")
            let plain = try rt.bundle { $0.setProcess("args", ["/bin/sh", "-c", "ls /proc/self/fd | tr '\\n' ' '"]) }
            #expect(try rt.runtime(["run", "--bundle", plain, rt.newID()]).stdout == "0 1 2 3 ")
        }
    }

    @Test func errorsGoToTheJSONLog() throws {
        try withRuntime { rt in
            let log = rt.work + "/log.json"
            let bundle = try rt.bundle { $0.setProcess("cwd", "relative/dir") }
            let r = try rt.runtime(["--log", log, "--log-format", "json", "create", "--bundle", bundle, rt.newID()])
            #expect(r.status == 1)
            let line = try String(contentsOfFile: log, encoding: .utf8)
            let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(json?["level"] as? String == "error")
            #expect((json?["msg"] as? String)?.contains("process.cwd") == true, "\(line)")
            #expect(json?["time"] != nil)
            let systemd = try rt.runtime(["--systemd-cgroup", "create", "--bundle", bundle, rt.newID()])
            #expect(systemd.status == 1 && systemd.stderr.contains("systemd"))
        }
    }

    @Test func killAllSignalsEveryProcess() throws {
        try withRuntime { rt in
            let id = rt.newID()
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"])
                $0.setLinux("cgroupsPath", "/berth-test-killall-\(getpid())")
            }
            #expect(try rt.runtime(["run", "--detach", "--bundle", bundle, id]).status == 0)
            let procs = "/sys/fs/cgroup/pids/berth-test-killall-\(getpid())/cgroup.procs"
            try waitUntil { (try String(contentsOfFile: procs, encoding: .utf8)).split(separator: "\n").count == 3 }
            #expect(try rt.runtime(["kill", "--all", id, "KILL"]).status == 0)
            try waitUntil { (try String(contentsOfFile: procs, encoding: .utf8)).isEmpty }
            try waitUntil { try status(rt, id) == "stopped" }
            #expect(try rt.runtime(["delete", id]).status == 0)
        }
    }

    @Test func eachContainerHasItsOwnSessionKeyring() throws {
        try withRuntime { rt in
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sh", "-c", "grep _ses /proc/keys | cut -d' ' -f9-"])
                $0.setLinux("maskedPaths", [String]())  // the default masks /proc/keys
            }
            let id = rt.newID()
            let r = try rt.runtime(["run", "--bundle", bundle, id])
            #expect(r.stdout.contains("_ses.\(id)"), "\(r.stdout) \(r.stderr)")
            let other = rt.newID()
            let n = try rt.runtime(["run", "--no-new-keyring", "--bundle", bundle, other])
            #expect(!n.stdout.contains("_ses.\(other)"), "\(n.stdout)")
        }
    }

    @Test func domainnameUmaskAndOOMScore() throws {
        try withRuntime { rt in
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sh", "-c", "cat /proc/sys/kernel/domainname; umask; cat /proc/self/oom_score_adj"])
                $0["domainname"] = "berth.test"
                $0.setProcess("user", ["uid": 0, "gid": 0, "umask": 63])
                $0.setProcess("oomScoreAdj", 500)
            }
            let r = try rt.runtime(["run", "--bundle", bundle, rt.newID()])
            #expect(r.stdout == "berth.test\n0077\n500\n", "\(r.stdout) \(r.stderr)")
        }
    }
}
