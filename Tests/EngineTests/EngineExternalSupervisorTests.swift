// EngineExternalSupervisorTests: berth-engine --supervisor ADDR uses a berth-supervisor that runs
// as a service of its own (as Debian runs containerd.service and dockerd --containerd): containers
// run and exit through it, and an engine killed and restarted finds them again; the engine
// neither starts another supervisor nor takes the running one down with it.
import Foundation
import Sys
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct EngineExternalSupervisorTests {
    @Test func anEngineUsesASupervisorRunningAsItsOwnService() async throws {
        let h = try EngineHarness()
        let state = "\(h.work)/run/supervisor"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let log = open("\(h.work)/supervisor.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        var spawn = Spawn(executable: "\(h.bin)/berth-supervisor", arguments: [
            "--root", "\(h.work)/data/supervisor", "--state", state, "--address", "\(state)/supervisor.sock",
        ], environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        spawn.fileDescriptors = [null, log, log]
        let supervisor = try spawn.start()
        close(log); close(null)
        try "\(supervisor)\n".write(toFile: h.supervisorPIDFile, atomically: true, encoding: .utf8)  // cleanup() kills it
        defer { _ = try? Spawn.waitForExit(supervisor) }
        do {
            let address = "unix://\(state)/supervisor.sock"
            try await h.start(extraArguments: ["--supervisor", address])
            try await h.loadBusybox()
            #expect(try await h.berth(["run", "-d", "--name", "long", "--network", "none", "busybox", "sleep", "1000"]).status == 0)
            #expect(try await h.berth(["run", "--name", "three", "--network", "none", "busybox", "sh", "-c", "exit 3"]).status == 3)
            let engine = h.pid
            // The engine did not start a supervisor of its own: the only one is ours.
            let children = (try? String(contentsOfFile: "/proc/\(engine)/task/\(engine)/children", encoding: .utf8)) ?? ""
            #expect(children.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "engine children: \(children)")
            h.killEngine()
            #expect(kill(supervisor, 0) == 0, "the supervisor went down with the engine")
            try await h.start(extraArguments: ["--supervisor", address])
            let ps = try await h.berth(["ps", "-a", "--format", "{{.Names}} {{.State}}"]).out
            #expect(ps.contains("long running"), "\(ps)")
            #expect(ps.contains("three exited"), "\(ps)")
            #expect(try await h.berth(["inspect", "-f", "{{.State.ExitCode}}", "three"]).out.trimmingCharacters(in: .whitespacesAndNewlines) == "3")
        } catch {
            let log = h.engineLog
            await h.cleanup()
            Issue.record("engine log:\n\(log.suffix(4000))")
            throw error
        }
        await h.cleanup()
    }
}
