// EngineExternalSupervisorTests: berth-engine --supervisor ADDR uses a berth-supervisor that runs
// as a service of its own (scripts/systemd/, as Debian runs containerd.service and dockerd
// --containerd): containers run and exit through it, and an engine killed and restarted finds
// them again; the engine neither starts another supervisor nor takes the running one down.
import Foundation
import Sys
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.offPool) struct EngineExternalSupervisorTests {
    /// Starts berth-supervisor on the harness's directories but listening where the engine would
    /// not look by itself, records its pid where cleanup() finds it, and returns the engine's flag
    /// and the pid.
    static func startSupervisor(_ h: EngineHarness) throws -> (flags: [String], pid: pid_t) {
        let state = "\(h.work)/run/supervisor"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let log = open("\(h.work)/supervisor.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(log); close(null) }
        var spawn = Spawn(executable: "\(h.bin)/berth-supervisor", arguments: [
            "--root", "\(h.work)/data/supervisor", "--state", state, "--address", Self.address(h),
        ], environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        spawn.fileDescriptors = [null, log, log]
        let supervisor = try spawn.start()
        try "\(supervisor)\n".write(toFile: h.supervisorPIDFile, atomically: true, encoding: .utf8)
        return (["--supervisor", "unix://\(Self.address(h))"], supervisor)
    }

    static func address(_ h: EngineHarness) -> String { "\(h.work)/external-supervisor.sock" }

    @Test func anEngineUsesASupervisorRunningAsItsOwnService() async throws {
        var supervisor: pid_t = 0
        defer { if supervisor > 0 { kill(supervisor, SIGKILL); _ = try? Spawn.waitForExit(supervisor) } }  // also if the test fails
        try await withEngine(startArguments: { h in
            let started = try Self.startSupervisor(h)
            supervisor = started.pid
            return started.flags
        }) { h in
            #expect(try await h.berth(["run", "-d", "--name", "long", "--network", "none", "busybox", "sleep", "1000"]).status == 0)
            #expect(try await h.berth(["run", "--name", "three", "--network", "none", "busybox", "sh", "-c", "exit 3"]).status == 3)
            let engine = h.pid
            // The engine did not start a supervisor of its own: the only one is the test's.
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(engine)/task")) ?? []
            let children = threads.map { (try? String(contentsOfFile: "/proc/\(engine)/task/\($0)/children", encoding: .utf8)) ?? "" }.joined()
            #expect(children.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "engine children: \(children)")
            h.killEngine()
            #expect(kill(supervisor, 0) == 0, "the supervisor went down with the engine")
            try await h.start(extraArguments: ["--supervisor", "unix://\(Self.address(h))"])
            let ps = try await h.berth(["ps", "-a", "--format", "{{.Names}} {{.State}}"]).out
            #expect(ps.contains("long running"), "\(ps)")
            #expect(ps.contains("three exited"), "\(ps)")
            #expect(try await h.berth(["inspect", "-f", "{{.State.ExitCode}}", "three"]).out.trimmingCharacters(in: .whitespacesAndNewlines) == "3")
        }
    }
}
