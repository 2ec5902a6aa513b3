// EngineCLITests: the docker experience end to end — `berth` against a real berth-engine and
// berth-supervisor started by the test, running real containers from the busybox test image:
// output and exit codes, names, ps/logs/inspect/stop/kill/rm/wait, images, docker's spec defaults.
import Foundation
import Sys
import TestSupport
import Testing

@Suite(.serialized, .offPool) struct EngineCLITests {
    @Test func runPrintsOutputAndExitsWithTheContainersStatus() async throws {
        try await withEngine { h in
            let run = try await h.berth(["run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"])
            #expect(run.status == 3)
            #expect(run.out == "out\n")
            #expect(run.err == "err\n")
            #expect(try await eventually { try await h.berth(["ps", "-aq"]).out.isEmpty })  // --rm

            let hello = try await h.berth(["run", "--rm", "busybox", "echo", "hello"])
            #expect(hello.status == 0 && hello.out == "hello\n")
        }
    }

    @Test func dockersExitCodesForWhatCannotRun() async throws {
        try await withEngine { h in
            let missing = try await h.berth(["run", "--rm", "busybox", "no-such-program"])
            #expect(missing.status == 127, "\(missing.err)")
            #expect(missing.err.contains("no-such-program"))
            let notExecutable = try await h.berth(["run", "--rm", "busybox", "/etc/passwd"])
            #expect(notExecutable.status == 126, "\(notExecutable.err)")
            let image = try await h.berth(["run", "--rm", "nosuchimage", "true"])
            #expect(image.status == 125)
            #expect(image.err.contains("Unable to find image 'nosuchimage' locally"))
            let flag = try await h.berth(["run", "--no-such-flag", "busybox"])
            #expect(flag.status == 125)
            #expect(try await h.berth(["ps", "-aq"]).out.isEmpty)  // nothing half-made stays behind
        }
    }

    @Test func detachedContainerLifecycle() async throws {
        try await withEngine { h in
            let run = try await h.berth(["run", "-d", "--name", "web", "busybox", "sh", "-c",
                                   "trap 'echo bye; exit 7' TERM; i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"])
            #expect(run.status == 0, "\(run.err)")
            let id = run.out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.count == 64 && id.allSatisfy(\.isHexDigit))

            let ps = try await h.berth(["ps"]).out.split(separator: "\n")
            #expect(ps.first?.hasPrefix("CONTAINER ID   IMAGE     COMMAND") == true)
            #expect(ps.count == 2 && ps[1].hasPrefix(String(id.prefix(12))) && ps[1].hasSuffix("web") && ps[1].contains("Up "))
            #expect(try await h.berth(["ps", "--format", "{{.Names}}|{{.State}}|{{.Image}}"]).out == "web|running|busybox\n")

            #expect(try await eventually { try await h.berth(["logs", "web"]).out.contains("line 3\n") })
            let tail = try await h.berth(["logs", "--tail", "2", "web"]).out.split(separator: "\n")
            #expect(tail.count == 2)

            let refused = try await h.berth(["rm", "web"])
            #expect(refused.status == 1)
            #expect(refused.err.contains("You cannot remove a running container \(id)"))

            let stop = try await h.berth(["stop", "-t", "5", "web"])
            #expect(stop.status == 0 && stop.out == "web\n")
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.Name}}", "web"]).out == "exited 7 /web\n")
            #expect(try await h.berth(["wait", "web"]).out == "7\n")
            let logs = try await h.berth(["logs", "web"]).out
            #expect(logs.hasPrefix("line 0\nline 1\n") && logs.hasSuffix("bye\n"))

            let inspect = try JSONSerialization.jsonObject(with: Data(try await h.berth(["inspect", "web"]).out.utf8)) as? [[String: Any]]
            #expect(inspect?.first?["Id"] as? String == id)
            #expect((inspect?.first?["Config"] as? [String: Any])?["Image"] as? String == "busybox")

            // A stopped container starts again with its filesystem kept.
            #expect(try await h.berth(["rm", "web"]).status == 0)
            #expect(try await h.berth(["inspect", "web"]).status == 1)
            let second = try await h.berth(["run", "-d", "--name", "web", "busybox", "sh", "-c", "cat /state 2>/dev/null; echo kept > /state; sleep 1000"])
            #expect(second.status == 0)
            #expect(try await h.berth(["stop", "-t", "0", "web"]).status == 0)
            #expect(try await h.berth(["start", "web"]).status == 0)
            #expect(try await h.berth(["inspect", "-f", "{{.State.Running}} {{.RestartCount}}", "web"]).out == "true 0\n")
            #expect(try await eventually { try await h.berth(["logs", "web"]).out == "kept\n" })
            #expect(try await h.berth(["kill", "web"]).status == 0)
            #expect(try await eventually { try await h.berth(["inspect", "-f", "{{.State.Status}}", "web"]).out == "exited\n" })
            #expect(try await h.berth(["inspect", "-f", "{{.State.ExitCode}}", "web"]).out == "137\n")
            #expect(try await h.berth(["kill", "web"]).err.contains("is not running"))

            // start -a attaches to the output and exits with the container's status.
            #expect(try await h.berth(["create", "--name", "once", "busybox", "sh", "-c", "echo attached; exit 4"]).status == 0)
            let attached = try await h.berth(["start", "-a", "once"])
            #expect(attached.status == 4 && attached.out == "attached\n")
        }
    }

    /// `run` without -i or -t works on the calling thread alone (PlainRun): while its container
    /// runs, the CLI has one thread, the output it copied is whole and in order, and a kill of the
    /// container ends the CLI with docker's 137; output it cannot write ends it with 125.
    @Test func plainRunCopiesOutputOnOneThread() async throws {
        try await withEngine { h in
            let outPath = "\(h.work)/plain.out"
            let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer { close(out); close(input); unlink(outPath) }
            var spawn = Spawn(executable: "\(h.bin)/berth", arguments: ["-H", "unix://\(h.socket)", "run", "--rm", "--name", "plain",
                                                                         "busybox", "sh", "-c", "seq 1 20000; sleep 60"],
                              environment: ["PATH=/usr/bin:/bin"])
            spawn.fileDescriptors = [input, out, out]
            let cli = try spawn.start()
            var reaped = false
            defer { if !reaped { kill(cli, SIGKILL); _ = try? Spawn.waitForExit(cli) } }
            let expected = (1...20000).map { "\($0)\n" }.joined()
            #expect(await eventually(timeout: .seconds(30)) { (try? String(contentsOfFile: outPath, encoding: .utf8)) == expected })
            let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(cli)/task")
            #expect(threads.count == 1, "berth run has threads \(threads)")
            #expect(try await h.berth(["kill", "plain"]).status == 0)
            let status = try Spawn.waitForExit(cli)
            reaped = true
            #expect(status == .exited(137))

            // A stdout that cannot take the output is the CLI's own error (125), and says so.
            let full = open("/dev/full", O_WRONLY | O_CLOEXEC)
            let errPath = "\(h.work)/plain.err"
            let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            defer { close(full); close(err); unlink(errPath) }
            var toFull = Spawn(executable: "\(h.bin)/berth", arguments: ["-H", "unix://\(h.socket)", "run", "--rm", "busybox", "echo", "hello"],
                               environment: ["PATH=/usr/bin:/bin"])
            toFull.fileDescriptors = [input, full, err]
            let fullStatus = try Spawn.waitForExit(try toFull.start())
            let message = try String(contentsOfFile: errPath, encoding: .utf8)
            #expect(fullStatus == .exited(125), "\(message)")
            #expect(message.contains("stdout") && message.contains("No space left on device") && !message.contains("daemon"), "\(message)")
        }
    }

    @Test func attachedRunsForwardSignalsToTheirContainer() async throws {
        try await withEngine { h in
            let script = #"trap "echo got-USR1" USR1; trap "echo got-TERM; exit 3" TERM; echo ready; while true; do sleep 0.1; done"#
            let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
            var running: Set<Int32> = []
            defer {
                close(input)
                for pid in running { kill(pid, SIGKILL); _ = try? Spawn.waitForExit(pid) }
            }
            let output = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
            /// Starts `berth ARGUMENTS`, its output in `outPath`, once the container's traps are set.
            func berth(_ arguments: [String], _ outPath: String) async throws -> Int32 {
                let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                defer { close(out) }
                var spawn = Spawn(executable: "\(h.bin)/berth", arguments: ["-H", "unix://\(h.socket)"] + arguments,
                                  environment: ["PATH=/usr/bin:/bin"])
                spawn.fileDescriptors = [input, out, out]
                let pid = try spawn.start()
                running.insert(pid)
                #expect(await eventually(timeout: .seconds(30)) { output(outPath).contains("ready") }, "\(arguments)")
                return pid
            }
            func reap(_ pid: Int32) throws -> Sys.ExitStatus {
                running.remove(pid)
                return try Spawn.waitForExit(pid)
            }

            // docker's --sig-proxy (on by default): what the CLI is sent, its container gets, and
            // the CLI ends with the container's own status — on the calling thread (plain run),
            // through NIO (-i) and for `start -a`.
            #expect(try await h.berth(["create", "--name", "started", "busybox", "sh", "-c", script]).status == 0)
            for (name, arguments) in [("plain", ["run", "--rm", "busybox", "sh", "-c", script]),
                                      ("stdin", ["run", "-i", "--rm", "busybox", "sh", "-c", script]),
                                      ("start", ["start", "-a", "started"])] {
                let outPath = "\(h.work)/\(name).out"
                let cli = try await berth(arguments, outPath)
                kill(cli, SIGUSR1)
                #expect(await eventually { output(outPath).contains("got-USR1") }, "\(name): \(output(outPath))")
                #expect(kill(cli, 0) == 0, "\(name): the CLI did not outlive a signal it forwarded")
                kill(cli, SIGTERM)
                let status = try reap(cli)
                #expect(status == .exited(3) && output(outPath).contains("got-TERM"), "\(name): \(status) \(output(outPath))")
            }

            // --sig-proxy=false: the signal ends the CLI, and the container runs on.
            for (name, stdin) in [("unproxied", false), ("unproxied-i", true)] {
                let outPath = "\(h.work)/\(name).out"
                let cli = try await berth(["run"] + (stdin ? ["-i"] : []) + ["--sig-proxy=false", "--name", name, "busybox", "sh", "-c", script], outPath)
                kill(cli, SIGTERM)
                #expect(try reap(cli) == .signaled(SIGTERM), "\(name)")
                #expect(try await h.berth(["inspect", "-f", "{{.State.Running}}", name]).out == "true\n", "\(name)")
                #expect(!output(outPath).contains("got-TERM"))
                #expect(try await h.berth(["rm", "-f", name]).status == 0)
            }
        }
    }

    @Test func logsFollowUntilTheContainerExits() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["run", "-d", "--name", "ticker", "busybox", "sh", "-c",
                                       "for i in 1 2 3; do echo tick-$i; sleep 0.3; done; echo done >&2"]).status == 0)
            let followed = try await h.berth(["logs", "-f", "ticker"])  // returns once the container has exited
            #expect(followed.out == "tick-1\ntick-2\ntick-3\n" && followed.err == "done\n")
            let stamped = try await h.berth(["logs", "-t", "--tail", "1", "ticker"]).err
            #expect(stamped.hasSuffix("Z done\n") && stamped.count > 30, "\(stamped)")
            #expect(try await h.berth(["logs", "--since", "1h", "ticker"]).out.contains("tick-1"))
            #expect(try await h.berth(["logs", "--until", "1h", "ticker"]).out.isEmpty)  // an hour ago: nothing yet
        }
    }

    @Test func namesAreUniqueAndGenerated() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["create", "--name", "one", "busybox", "true"]).status == 0)
            let clash = try await h.berth(["create", "--name", "one", "busybox", "true"])
            #expect(clash.status == 125)
            #expect(clash.err.contains("Conflict. The container name \"/one\" is already in use"))
            let bad = try await h.berth(["create", "--name", "no/slash", "busybox", "true"])
            #expect(bad.status == 125 && bad.err.contains("Invalid container name"))
            let anonymous = try await h.berth(["create", "busybox", "true"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let name = try await h.berth(["inspect", "-f", "{{.Name}}", anonymous]).out
            #expect(name.hasPrefix("/") && name.contains("_"))
            let all = try await h.berth(["ps", "-a", "--format", "{{.Names}} {{.Status}}"]).out.split(separator: "\n")
            #expect(all.count == 2 && all.allSatisfy { $0.hasSuffix(" Created") })
            #expect(try await h.berth(["rm", "one", String(anonymous.prefix(12))]).status == 0)
            #expect(try await h.berth(["ps", "-aq"]).out.isEmpty)
        }
    }

    @Test func createsRacingForOneNameLetOneWin() async throws {
        try await withEngine { h in
            h.killEngine()
            // Each create waits 300 ms after choosing its name: all four are in that window at once.
            try await h.start(environment: ["BERTH_FAULT_PAUSE=engine-create-named:300"])
            let results = try await withThrowingTaskGroup(of: CommandResult.self) { group in
                for _ in 0..<4 { group.addTask { try await h.berth(["create", "--name", "twin", "busybox", "true"]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0.status == 0 }.count == 1, "\(results.map { "\($0.status) \($0.err)" })")
            #expect(results.filter { $0.status == 125 && $0.err.contains("Conflict. The container name \"/twin\" is already in use") }.count == 3)
            #expect(try await h.berth(["ps", "-aq"]).out.split(separator: "\n").count == 1)
            #expect(try await h.berth(["rm", "twin"]).status == 0)
        }
    }

    @Test func imagesListInspectAndRemove() async throws {
        try await withEngine { h in
            let images = try await h.berth(["images"]).out.split(separator: "\n")
            #expect(images.first?.hasPrefix("REPOSITORY   TAG      IMAGE ID") == true)
            #expect(images.count == 2 && images[1].hasPrefix("busybox      latest"))
            let id = try await h.berth(["images", "-q"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.count == 12)
            #expect(try await h.berth(["image", "inspect", "-f", "{{.Os}} {{.Config.Cmd}}", "busybox"]).out == "linux [/bin/sh]\n")
            #expect(try await h.berth(["create", "--name", "user", "busybox"]).status == 0)
            let refused = try await h.berth(["rmi", "busybox"])
            #expect(refused.status == 1 && refused.err.contains("container") && refused.err.contains("is using its referenced image"))
            #expect(try await h.berth(["rm", "user"]).status == 0)
            let removed = try await h.berth(["rmi", "busybox"])
            #expect(removed.status == 0 && removed.out.contains("Untagged: busybox:latest"))
            #expect(try await h.berth(["images", "-q"]).out.isEmpty)
            #expect(try await h.berth(["image", "inspect", "busybox"]).status == 1)
        }
    }

    @Test func dockersDefaultsAndSecurityFlags() async throws {
        try await withEngine { h in
            func capEff(_ extra: [String]) async throws -> String {
                let status = try await h.berth(["run", "--rm"] + extra + ["busybox", "grep", "CapEff", "/proc/self/status"])
                return status.out.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? status.err
            }
            #expect(try await capEff([]) == "00000000a80425fb")  // docker's default capability set
            #expect(try await capEff(["--cap-drop", "ALL"]) == "0000000000000000")
            #expect(try await capEff(["--cap-drop", "ALL", "--cap-add", "NET_ADMIN"]) == "0000000000001000")
            // --privileged: every capability the engine holds (this machine's bounding set).
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let bounding = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }?.split(separator: "\t").last.map(String.init)
            #expect(try await capEff(["--privileged"]) == bounding)
            let identity = try await h.berth(["run", "--rm", "-u", "1000:1001", "-w", "/tmp", "-e", "FOO=bar", "--hostname", "box",
                                        "busybox", "sh", "-c", "id -u; id -g; pwd; echo $FOO; hostname; cat /etc/hostname"])
            #expect(identity.out == "1000\n1001\n/tmp\nbar\nbox\nbox\n", "\(identity.err)")
            let readOnly = try await h.berth(["run", "--rm", "--read-only", "busybox", "touch", "/x"])
            #expect(readOnly.status == 1 && readOnly.err.contains("Read-only file system"))
            let masked = try await h.berth(["run", "--rm", "busybox", "sh", "-c", "wc -c < /proc/keys; echo 1 > /proc/sys/kernel/domainname"])
            #expect(masked.out == "0\n" && masked.status != 0)
            let shm = try await h.berth(["run", "--rm", "busybox", "sh", "-c", "grep -c ' /dev/shm ' /proc/mounts; grep -c ' /etc/hosts ' /proc/mounts"])
            #expect(shm.out == "1\n1\n")
            let entrypoint = try await h.berth(["run", "--rm", "--entrypoint", "echo", "busybox", "via", "entrypoint"])
            #expect(entrypoint.out == "via entrypoint\n")
        }
    }
}
