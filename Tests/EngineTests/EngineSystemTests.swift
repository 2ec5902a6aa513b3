// EngineSystemTests: the engine's housekeeping verbs against real containers — stats from the
// cgroup, info, system df, tag/history/save/load round trip, prune, ulimits and resource limits,
// and the event stream a subscriber sees.
import Foundation
import Sys
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct EngineSystemTests {
    @Test func statsInfoAndLimits() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["run", "-d", "--name", "busy", "--memory", "64m", "--pids-limit", "50", "busybox",
                                 "sh", "-c", "while true; do :; done"]).status == 0)
            let stats = try await h.berth(["stats", "--no-stream", "--format", "{{.Name}}|{{.MemUsage}}|{{.PIDs}}|{{.CPUPerc}}", "busy"]).out
            let fields = stats.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
            #expect(fields.count == 4 && fields[0] == "busy" && fields[1].hasSuffix("/ 64MiB") && fields[2] == "1", "\(stats)")
            #expect((Double(fields.last?.dropLast() ?? "") ?? 0) > 2, "a busy loop uses CPU: \(stats)")
            let limits = try await h.berth(["run", "--rm", "--ulimit", "nofile=100:200", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn"])
            #expect(limits.out == "100\n200\n", "\(limits.err)")
            #expect(try await h.berth(["run", "--rm", "--ulimit", "nofile=300:200", "busybox", "true"]).status == 125)
            let info = try await h.berth(["info", "--format", "{{.Containers}} {{.ContainersRunning}} {{.Images}} {{.Driver}}"]).out
            #expect(info == "1 1 1 overlayfs\n")
            let df = try await h.berth(["system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}"]).out.split(separator: "\n")
            #expect(df.prefix(2) == ["Images 1 1", "Containers 1 1"])
            let json = try await h.berth(["ps", "--format", "json"]).out
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            #expect(object?["Names"] as? String == "busy" && object?["State"] as? String == "running")
        }
    }

    /// The engine re-executes itself with glibc's per-thread malloc caches off, then puts the
    /// caller's GLIBC_TUNABLES back: the supervisor it starts is handed the setting (so it need
    /// not re-execute) and, to put back, the caller's value, not the engine's re-exec setting.
    @Test func daemonsRunWithoutMallocThreadCaches() async throws {
        try await withEngine(loadBusybox: false, environment: ["GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072"]) { h in
            // As the process was started; glibc 2.36's loader cuts GLIBC_TUNABLES at each ':' as it
            // reads it, so the entries are joined again before looking for the tunable.
            func environment(_ pid: Int32) throws -> [String] {
                try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8).split(separator: "\0").map(String.init)
            }
            let engine = try environment(h.pid)
            #expect(engine.joined(separator: ":").contains("glibc.malloc.tcache_count=0"), "\(engine)")
            let supervisor = try environment(try #require(h.supervisorPID))
            #expect(supervisor.joined(separator: ":").contains("glibc.malloc.tcache_count=0"), "\(supervisor)")
            #expect(supervisor.contains("BERTH_SAVED_GLIBC_TUNABLES==glibc.malloc.trim_threshold=131072"), "\(supervisor)")
        }
    }

    @Test func tagHistorySaveLoadAndPrune() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["tag", "busybox", "example/tool:1.0"]).status == 0)
            let images = try await h.berth(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]).out.split(separator: "\n")
            #expect(images.count == 2 && Set(images.map { $0.split(separator: " ")[1] }).count == 1)  // one image, two names
            #expect(try await h.berth(["run", "--rm", "example/tool:1.0", "echo", "tagged"]).out == "tagged\n")
            let history = try await h.berth(["history", "--format", "{{.CreatedBy}}|{{.Size}}", "busybox"]).out
            #expect(history.contains("make-test-image") && history.contains("MB"), "\(history)")

            let archive = "\(h.work)/saved.tar"
            #expect(try await h.berth(["save", "-o", archive, "example/tool:1.0"]).status == 0)
            #expect(try await h.berth(["rmi", "example/tool:1.0"]).out == "Untagged: example/tool:1.0\n")  // busybox keeps the image
            #expect(try await h.berth(["rmi", "busybox"]).out.contains("Deleted: sha256:"))
            #expect(try await h.berth(["load", "-i", archive]).out == "Loaded image: example/tool:1.0\n")
            #expect(try await h.berth(["run", "--rm", "example/tool:1.0", "echo", "reloaded"]).out == "reloaded\n")

            // Untagging a name while another name keeps the image is allowed even if a container uses it.
            #expect(try await h.berth(["tag", "example/tool:1.0", "example/tool:extra"]).status == 0)
            #expect(try await h.berth(["create", "--name", "user", "example/tool:extra", "true"]).status == 0)
            #expect(try await h.berth(["rmi", "example/tool:extra"]).out == "Untagged: example/tool:extra\n")
            let last = try await h.berth(["rmi", "example/tool:1.0"])
            #expect(last.status == 1 && last.err.contains("is using its referenced image"))
            #expect(try await h.berth(["rm", "user"]).status == 0)

            #expect(try await h.berth(["create", "--name", "stopped", "example/tool:1.0", "true"]).status == 0)
            #expect(try await h.berth(["run", "-d", "--name", "live", "example/tool:1.0", "sleep", "1000"]).status == 0)
            let pruned = try await h.berth(["container", "prune", "-f"])
            #expect(pruned.out.hasPrefix("Deleted Containers:\n") && pruned.out.contains("Total reclaimed space"))
            #expect(try await h.berth(["ps", "-a", "--format", "{{.Names}}"]).out == "live\n")
            #expect(try await h.berth(["image", "prune", "-a", "-f"]).out.contains("untagged") == false)  // in use by "live"
            #expect(try await h.berth(["rm", "-f", "live"]).status == 0)
            #expect(try await h.berth(["system", "prune", "-a", "-f"]).out.contains("untagged: example/tool:1.0"))
            #expect(try await h.berth(["images", "-q"]).out.isEmpty)
        }
    }

    @Test func userNamesResolveInTheContainersOwnFiles() async throws {
        try await withEngine { h in
            let nobody = try await h.berth(["run", "--rm", "-u", "nobody", "busybox", "id"]).out
            #expect(nobody.hasPrefix("uid=65534(nobody) gid=65534(nogroup)"), "\(nobody)")
            #expect(try await h.berth(["run", "--rm", "-u", "nobody:root", "busybox", "sh", "-c", "id -u; id -g"]).out == "65534\n0\n")
            #expect(try await h.berth(["run", "--rm", "-u", "65534", "busybox", "id", "-g"]).out == "65534\n")  // uid found: its gid
            let unknown = try await h.berth(["run", "--rm", "-u", "nosuchuser", "busybox", "true"])
            #expect(unknown.status == 125 && unknown.err.contains("unable to find user nosuchuser"))
            #expect(try await h.berth(["ps", "-aq"]).out.isEmpty)
            #expect(try await h.berth(["run", "-d", "--name", "asnobody", "-u", "nobody", "busybox", "sleep", "1000"]).status == 0)
            #expect(try await h.berth(["exec", "asnobody", "id", "-u"]).out == "65534\n")
            #expect(try await h.berth(["exec", "-u", "root", "asnobody", "id", "-u"]).out == "0\n")
        }
    }

    @Test func eventsReachASubscriber() async throws {
        try await withEngine { h in
            let log = "\(h.work)/events.out"
            let out = open(log, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            var spawn = Spawn(executable: "\(h.bin)/berth", arguments: ["-H", "unix://\(h.socket)", "events", "--filter", "type=container",
                                                                       "--format", "{{.Action}} {{.Actor.Attributes.name}}"],
                              environment: ["PATH=/usr/bin:/bin"])
            spawn.fileDescriptors = [null, out, null]
            let pid = try spawn.start()
            close(out)
            close(null)
            defer {
                kill(pid, SIGKILL)
                _ = try? Spawn.waitForExit(pid)
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await h.berth(["run", "--rm", "--name", "watched", "busybox", "sh", "-c", "exit 3"]).status == 3)
            let expected = ["create watched", "start watched", "die watched", "destroy watched"]
            #expect(await eventually {
                let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                return lines == expected
            }, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }
}
