// update and events on a real container: new limits reach the cgroup files (flags and a
// --resources document on stdin), the pids limit is enforced at once, and events --stats
// reports the cgroup's usage as one JSON object; `events --interval` streams stats and an "oom"
// event when the OOM killer acts in the container, and ends when the container is gone.
import Foundation
import Sys
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct UpdateTests {
    @Test func updateChangesLimitsAndEventsReportsUsage() throws {
        try withRuntime { rt in
            let id = rt.newID()
            let cgroup = "/berth-test-update-\(id)"
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sleep", "1000"])
                $0.setLinux("cgroupsPath", cgroup)
                $0.setLinux("resources", ["pids": ["limit": 100]])
            }
            #expect(try rt.runtime(["run", "--detach", "--bundle", bundle, id]).status == 0)
            func read(_ controller: String, _ file: String) throws -> String {
                try String(contentsOfFile: "/sys/fs/cgroup/\(controller)\(cgroup)/\(file)", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let r = try rt.runtime(["update", "--memory", "64m", "--pids-limit", "3", "--cpu-shares", "512",
                                    "--cpu-quota", "50000", "--cpu-period", "100000", id])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try read("memory", "memory.limit_in_bytes") == "67108864")
            #expect(try read("pids", "pids.max") == "3")
            #expect(try read("cpu", "cpu.shares") == "512")
            #expect(try read("cpu", "cpu.cfs_quota_us") == "50000")
            // The new pids limit holds at once: sleep (1) + sh (2) + one more child only.
            let bomb = try rt.runtime(["exec", id, "/bin/sh", "-c", "sleep 5 & sleep 5 & echo forked"])
            #expect(bomb.stderr.contains("can't fork") || bomb.stderr.contains("Resource temporarily unavailable"), "\(bomb.stdout) \(bomb.stderr)")

            // A LinuxResources document on stdin.
            let doc = rt.work + "/resources.json"
            try #"{"pids":{"limit":50},"memory":{"limit":134217728}}"#.write(toFile: doc, atomically: true, encoding: .utf8)
            let input = open(doc, O_RDONLY | O_CLOEXEC)
            defer { close(input) }
            #expect(try rt.runtime(["update", "--resources", "-", id], stdin: input).status == 0)
            #expect(try read("pids", "pids.max") == "50")
            #expect(try read("memory", "memory.limit_in_bytes") == "134217728")
            let bad = try rt.runtime(["update", "--memory", "lots", id])
            #expect(bad.status == 1 && bad.stderr.contains("--memory"))

            let events = try rt.runtime(["events", "--stats", id])
            let json = try JSONSerialization.jsonObject(with: Data(events.stdout.utf8)) as? [String: Any]
            #expect(json?["type"] as? String == "stats" && json?["id"] as? String == id)
            let data = json?["data"] as? [String: Any]
            let pids = data?["pids"] as? [String: Any]
            // The container's sleep plus the one "sleep 5" the fork test could start.
            #expect((1...2).contains(pids?["current"] as? Int ?? 0), "\(events.stdout)")
            #expect(pids?["limit"] as? Int == 50)
            let memory = (data?["memory"] as? [String: Any])?["usage"] as? [String: Any]
            #expect((memory?["usage"] as? Int ?? 0) > 0)
        }
    }

    @Test func eventsStreamsStatsAndReportsOOMKills() throws {
        try withRuntime { rt in
            let id = rt.newID()
            let bundle = try rt.bundle {
                // tail on /dev/zero never sees a newline: it grows until the OOM killer stops it.
                $0.setProcess("args", ["/bin/sh", "-c", "while [ ! -e /dev/shm/go ]; do sleep 0.05; done; tail /dev/zero; sleep 1000"])
                $0.setLinux("resources", ["memory": ["limit": 16 << 20, "swap": 16 << 20]])
            }
            #expect(try rt.runtime(["run", "--detach", "--bundle", bundle, id]).status == 0)
            #expect(try rt.runtime(["events", "--interval", "soon", id]).stderr.contains("--interval"))

            let output = rt.work + "/events.out"
            let out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            var spawn = Spawn(executable: rt.binary, arguments: ["--root", rt.root, "events", "--interval", "100ms", id], environment: [])
            spawn.fileDescriptors = [null, out, null]
            let events = try spawn.start()
            close(out); close(null)
            var reaped = false
            defer { if !reaped { kill(events, SIGKILL); var st: Int32 = 0; waitpid(events, &st, 0) } }
            func lines() -> [[String: Any]] {
                ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
            }
            try waitUntil { lines().count >= 2 }  // the stream runs before anything happens
            #expect(try rt.runtime(["exec", id, "/bin/touch", "/dev/shm/go"]).status == 0)
            try waitUntil(.seconds(30)) { lines().contains { $0["type"] as? String == "oom" } }
            let oom = lines().first { $0["type"] as? String == "oom" }
            #expect(oom?["id"] as? String == id)
            #expect(lines().allSatisfy { ($0["type"] as? String).map(["stats", "oom"].contains) == true && $0["id"] as? String == id })

            // The stream ends, successfully, once the container is gone.
            #expect(try rt.runtime(["delete", "--force", id]).status == 0)
            var status: Int32 = 0
            try waitUntil { waitpid(events, &status, WNOHANG) == events }
            reaped = true
            #expect(ExitStatus(waitStatus: status)?.code == 0)
        }
    }
}
