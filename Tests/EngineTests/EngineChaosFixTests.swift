// EngineChaosFixTests: what scripts/chaos.sh found, each kept as a test. A SIGKILLed shim ends
// only its own container, which the engine reports "exited 137" with a State.Error naming the
// shim; a removal that an engine crash cut short (the record left "removing") is finished by
// the restarted engine instead of staying "Removal In Progress" for ever; a container whose
// task an engine started just before it crashed is adopted at the restart, so a second
// `start` cannot run it twice; an exec whose supervisor dies after making or starting it is
// carried on by the restarted supervisor instead of failing "already exists".
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct EngineChaosFixTests {
    @Test func aKilledShimEndsOnlyItsContainerAndTheEngineSaysWhy() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["run", "-d", "--network", "none", "--name", "victim", "busybox", "sh", "-c", "echo up; sleep 1000"]).status == 0)
            #expect(try await h.berth(["run", "-d", "--network", "none", "--name", "bystander", "busybox", "sleep", "1000"]).status == 0)
            let id = try await h.berth(["inspect", "-f", "{{.Id}}", "victim"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let pidText = try String(contentsOfFile: "\(h.work)/run/supervisor/tasks/\(h.namespace)/\(id)/shim.pid", encoding: .utf8)
            let shim = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
            let bystanderPID = try await h.berth(["inspect", "-f", "{{.State.Pid}}", "bystander"]).out
            #expect(kill(shim, SIGKILL) == 0)
            var state = ""
            let ended = try await eventually(timeout: .seconds(30)) {
                state = try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "victim"]).out
                return state == "exited 137\n"
            }
            #expect(ended, "victim: \(state)\n\(h.engineLog.suffix(3000))")
            let error = try await h.berth(["inspect", "-f", "{{.State.Error}}", "victim"]).out
            #expect(error.contains("shim") && error.contains("died"), "State.Error: \(error)")
            #expect(try await h.berth(["logs", "victim"]).out == "up\n")
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.Pid}}", "bystander"]).out == "running \(bystanderPID)")
            // A container that ends by itself says nothing in State.Error.
            #expect(try await h.berth(["run", "--network", "none", "--name", "plain", "busybox", "sh", "-c", "exit 4"]).status == 4)
            #expect(try await h.berth(["inspect", "-f", "{{.State.ExitCode}}|{{.State.Error}}", "plain"]).out == "4|\n")
        }
    }

    @Test func aRemovalCutShortByAnEngineCrashIsFinishedAfterTheRestart() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["create", "--network", "none", "--name", "doomed", "busybox", "true"]).status == 0)
            h.killEngine()
            // The engine kills itself right after marking the container "removing".
            try await h.start(environment: ["BERTH_FAULT=engine-remove-marked"])
            #expect(try await h.berth(["rm", "doomed"]).status != 0)
            #expect(await h.engineExited(), "the fault point was not reached")
            try await h.start()
            var left = ""
            let gone = try await eventually(timeout: .seconds(20)) {
                left = try await h.berth(["ps", "-a", "--format", "{{.Names}} {{.Status}}"]).out
                return left.isEmpty
            }
            #expect(gone, "left: \(left)\n\(h.engineLog.suffix(3000))")
            #expect(try await h.berth(["inspect", "--type", "container", "doomed"]).err.contains("No such container"))
            // The name is free again.
            #expect(try await h.berth(["create", "--network", "none", "--name", "doomed", "busybox", "true"]).status == 0)
        }
    }

    @Test func aTaskStartedJustBeforeAnEngineCrashIsAdoptedNotRunTwice() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["create", "--network", "none", "--name", "once", "busybox", "sh", "-c", "echo ran; sleep 1; exit 7"]).status == 0)
            #expect(try await h.berth(["create", "--network", "none", "--name", "long", "busybox", "sh", "-c", "echo up; sleep 1000"]).status == 0)
            h.killEngine()
            // The engine kills itself after the supervisor started the task, before its record says so.
            try await h.start(environment: ["BERTH_FAULT=engine-task-started"])
            #expect(try await h.berth(["start", "once"]).status != 0)
            #expect(await h.engineExited(), "the fault point was not reached")
            try await h.start(environment: ["BERTH_FAULT=engine-task-started"])
            #expect(try await h.berth(["start", "long"]).status != 0)
            #expect(await h.engineExited(), "the fault point was not reached")
            try await h.start()
            var state = ""
            let exited = try await eventually(timeout: .seconds(20)) {
                state = try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "once"]).out
                return state == "exited 7\n"
            }
            #expect(exited, "once: \(state)\n\(h.engineLog.suffix(3000))")
            // What a retried `start` does after a lost answer: nothing, the container ran.
            #expect(try await h.berth(["inspect", "-f", "{{.State.StartedAt}}", "once"]).out != "0001-01-01T00:00:00Z\n")
            #expect(try await h.berth(["logs", "once"]).out == "ran\n")
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}}", "long"]).out == "running\n")
            #expect(try await h.berth(["start", "long"]).status == 0)  // already running: nothing to do
            #expect(try await h.berth(["stop", "-t", "1", "long"]).status == 0)
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "long"]).out == "exited 137\n")
            #expect(try await h.berth(["logs", "long"]).out == "up\n")
        }
    }

    @Test(arguments: ["task-exec-after-shim-exec", "task-exec-after-shim-start"])
    func anExecSurvivesItsSupervisorDyingMidWay(fault: String) async throws {
        try await withEngine { h in
            #expect(try await h.berth(["run", "-d", "--network", "none", "--name", "host", "busybox", "sleep", "1000"]).status == 0)
            h.killEngine()
            let supervisor = try #require(h.supervisorPID)
            kill(supervisor, SIGKILL)  // the engine starts a new one, with the fault armed
            try await h.start(environment: ["BERTH_FAULT=\(fault)"])
            let armed = try #require(h.supervisorPID)
            let exec = try await h.berth(["exec", "host", "sh", "-c", "echo marker; exit 3"])
            #expect(exec.status == 3 && exec.out == "marker\n", "exec: \(exec.status) \(exec.out) \(exec.err)\n\(h.engineLog.suffix(3000))")
            #expect(h.supervisorPID != nil && h.supervisorPID != armed, "the fault point was not reached")
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}}", "host"]).out == "running\n")
        }
    }
}
