// What a container sees from inside: each isolation feature of berth-runtime observed in a real
// busybox container — pid 1, hostname, read-only root, masked paths, capabilities, no_new_privs,
// seccomp, user and groups, rlimits, cgroup limits.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct IsolationTests {
    /// Runs `script` with /bin/sh in a fresh container made from the test bundle after `edit`.
    @Test func processIsPidOneWithTheSpecHostname() throws {
        try withRuntime { rt in
            let r = try rt.inside("echo $$; hostname") { $0["hostname"] = "berth-box" }
            #expect(r.stdout == "1\nberth-box\n", "\(r.stderr)")
        }
    }

    @Test func readonlyRootRefusesWrites() throws {
        try withRuntime { rt in
            let r = try rt.inside("touch /newfile; echo rc=$?") { $0.setRoot(readonly: true) }
            #expect(r.stdout.contains("rc=1"))
            #expect(r.stderr.contains("Read-only file system"), "\(r.stderr)")
            let w = try rt.inside("touch /tmp/x && echo writable") { $0.setRoot(readonly: false) }
            #expect(w.stdout == "writable\n", "\(w.stderr)")
        }
    }

    @Test func maskedAndReadonlyPaths() throws {
        try withRuntime { rt in
            let r = try rt.inside("wc -c < /proc/timer_list; ls /proc/acpi | wc -l; echo 1 > /proc/sys/kernel/domainname; echo rc=$?") {
                $0.setLinux("maskedPaths", ["/proc/timer_list", "/proc/acpi"])
                $0.setLinux("readonlyPaths", ["/proc/sys"])
            }
            let lines = r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(lines.first == "0", "timer_list readable: \(r.stdout) \(r.stderr)")
            #expect(lines.dropFirst().first == "0")
            #expect(lines.last == "rc=1")
        }
    }

    @Test func capabilitiesAndNoNewPrivileges() throws {
        try withRuntime { rt in
            let r = try rt.inside("grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs)' /proc/self/status") {
                $0.setProcess("capabilities", [
                    "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
                    "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
                    "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
                ])
                $0.setProcess("noNewPrivileges", true)
            }
            // CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29).
            #expect(r.stdout.contains("CapEff:\t0000000020000420"), "\(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("CapBnd:\t0000000020000420"))
            #expect(r.stdout.contains("NoNewPrivs:\t1"))
        }
    }

    @Test func seccompRuleReturnsTheConfiguredErrno() throws {
        try withRuntime { rt in
            let r = try rt.inside("mkdir /tmp/d; echo rc=$?; grep ^Seccomp: /proc/self/status") {
                $0.setRoot(readonly: false)
                $0.setLinux("seccomp", [
                    "defaultAction": "SCMP_ACT_ALLOW",
                    "architectures": ["SCMP_ARCH_X86_64"],
                    "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1]],
                ])
            }
            #expect(r.stdout.contains("rc=1"), "\(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("Operation not permitted"))
            #expect(r.stdout.contains("Seccomp:\t2"))
        }
    }

    @Test func aCachedSeccompProgramIsEnforcedLikeACompiledOne() throws {
        try withRuntime { rt in
            for run in 1...2 {  // the first compiles and stores, the second reads the cache back
                let r = try rt.inside("mkdir /tmp/d; echo rc=$?") {
                    $0.setRoot(readonly: false)
                    $0.setLinux("seccomp", [
                        "defaultAction": "SCMP_ACT_ALLOW",
                        "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1]],
                    ])
                }
                #expect(r.stdout.contains("rc=1"), "run \(run): \(r.stdout) \(r.stderr)")
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: rt.root + "/seccomp")) ?? []
            #expect(entries.count == 1 && entries.first?.hasSuffix(".bpf") == true, "\(entries)")
        }
    }

    @Test func userGroupsAndRlimits() throws {
        try withRuntime { rt in
            let r = try rt.inside("id -u; id -g; id -G; ulimit -n") {
                $0.setProcess("user", ["uid": 1000, "gid": 1001, "additionalGids": [10, 20]])
                $0.setProcess("rlimits", [["type": "RLIMIT_NOFILE", "hard": 512, "soft": 256]])
            }
            #expect(r.stdout == "1000\n1001\n1001 10 20\n256\n", "\(r.stdout) \(r.stderr)")
        }
    }

    @Test func pidsLimitStopsAForkBomb() throws {
        try withRuntime { rt in
            let cgroup = "/berth-test-pids-\(getpid())"
            // Each iteration forks one sleep and prints its number; busybox sh stops at the first
            // fork the kernel refuses.
            let r = try rt.inside("for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 3 & echo $i; done") {
                $0.setLinux("cgroupsPath", cgroup)
                $0.setLinux("resources", ["pids": ["limit": 6]])
            }
            // The shell and 5 sleeps fit under pids.max = 6; the sixth fork failed.
            #expect(r.stdout == "1\n2\n3\n4\n5\n", "\(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("Resource temporarily unavailable") || r.stderr.contains("can't fork"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids\(cgroup)"), "cgroup left behind")
        }
    }

    @Test func memoryAndPidsLimitsAreWritten() throws {
        try withRuntime { rt in
            let cgroup = "/berth-test-mem-\(getpid())"
            let id = rt.newID()
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sleep", "1000"])
                $0.setLinux("cgroupsPath", cgroup)
                $0.setLinux("resources", ["memory": ["limit": 67_108_864], "pids": ["limit": 20]])
            }
            #expect(try rt.runtime(["create", "--bundle", bundle, id]).status == 0)
            let memory = try String(contentsOfFile: "/sys/fs/cgroup/memory\(cgroup)/memory.limit_in_bytes", encoding: .utf8)
            #expect(memory.trimmingCharacters(in: .whitespacesAndNewlines) == "67108864")
            let pids = try String(contentsOfFile: "/sys/fs/cgroup/pids\(cgroup)/pids.max", encoding: .utf8)
            #expect(pids.trimmingCharacters(in: .whitespacesAndNewlines) == "20")
            let pid = try statePid(rt, id)
            let procs = try String(contentsOfFile: "/sys/fs/cgroup/memory\(cgroup)/cgroup.procs", encoding: .utf8)
            #expect(procs.split(separator: "\n").contains(Substring(String(pid))))
            #expect(try rt.runtime(["delete", "--force", id]).status == 0)
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory\(cgroup)"))
        }
    }
}
