// EngineRestartTests: what survives what. SIGKILL the engine with containers running — they keep
// running, and the restarted engine re-syncs, exits that happened while it was down included
// (live restore); SIGKILL the supervisor — the engine starts a new one that re-attaches the
// shims; restart policies restart a failing container the allowed number of times; the
// json-file log rotates and keeps its newest lines in order.
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct EngineRestartTests {
    @Test func liveRestoreAfterTheEngineIsKilled() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["run", "-d", "--name", "long", "busybox", "sh", "-c", "echo up; sleep 1000"]).status == 0)
            let shortID = try await h.berth(["run", "-d", "-i", "--name", "short", "busybox", "sh", "-c", "read line; echo finishing; exit 5"]).out
            let pid = try await h.berth(["inspect", "-f", "{{.State.Pid}}", "long"]).out
            let shortPID = Int32(try await h.berth(["inspect", "-f", "{{.State.Pid}}", "short"]).out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(shortPID > 0)
            h.killEngine()
            // "short" exits while no engine is there, when a line reaches its stdin fifo.
            let fd = open("\(h.work)/run/containers/\(shortID.trimmingCharacters(in: .whitespacesAndNewlines))/stdin", O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if fd >= 0 {  // (or the fifo already reported end of input: the engine held its only writer)
                _ = "go\n".withCString { write(fd, $0, 3) }
                close(fd)
            }
            #expect(await eventually(timeout: .seconds(20)) { kill(shortPID, 0) != 0 }, "short did not exit")
            #expect(kill(Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 0) == 0)  // still running
            try await h.start()
            let long = try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.Pid}}", "long"]).out
            #expect(long == "running \(pid)")
            var short = ""
            let exited = try await eventually(timeout: .seconds(20)) {
                short = try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "short"]).out
                return short == "exited 5\n"
            }
            #expect(exited, "short: \(short)\n\(h.engineLog.suffix(3000))")
            #expect(try await h.berth(["logs", "short"]).out == "finishing\n")
            #expect(try await h.berth(["wait", "short"]).out == "5\n")
            #expect(try await h.berth(["stop", "-t", "1", "long"]).status == 0)  // still under the engine's control
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}}", "long"]).out == "exited\n")
        }
    }

    @Test func anExitRecordedJustBeforeAnEngineCrashIsKept() async throws {
        try await withEngine { h in
            // The engine kills itself after recording the exit and deleting the supervisor's task,
            // before the exit is final: the restarted engine finds no task, only the pending exit.
            h.killEngine()
            try await h.start(environment: ["BERTH_FAULT=engine-exit-task-deleted"])
            #expect(try await h.berth(["run", "-d", "--name", "quick", "busybox", "sh", "-c", "sleep 0.5; exit 3"]).status == 0)
            #expect(await h.engineExited(), "the fault point was not reached")
            try await h.start()
            #expect(try await eventually(timeout: .seconds(20)) {
                try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "quick"]).out == "exited 3\n"
            }, "\(h.engineLog.suffix(3000))")
            // The supervisor's task was deleted on restore: the container starts again under its id.
            let again = try await h.berth(["start", "-a", "quick"])
            #expect(again.status == 3, "\(again.err)")
        }
    }

    @Test func theEngineRestartsAKilledSupervisorWithoutDisturbingContainers() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["run", "-d", "--name", "steady", "busybox", "sleep", "1000"]).status == 0)
            let pid = try await h.berth(["inspect", "-f", "{{.State.Pid}}", "steady"]).out
            let supervisor = try #require(h.supervisorPID)
            kill(supervisor, SIGKILL)
            #expect(await eventually(timeout: .seconds(20)) { h.supervisorPID.map { $0 != supervisor && kill($0, 0) == 0 } ?? false })
            #expect(try await eventually(timeout: .seconds(20)) { try await h.berth(["run", "--rm", "busybox", "echo", "again"]).out == "again\n" })
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.Pid}}", "steady"]).out == "running \(pid)")
            #expect(try await h.berth(["kill", "steady"]).status == 0)
            #expect(try await eventually { try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "steady"]).out == "exited 137\n" })
        }
    }

    @Test func restartPolicyOnFailureRestartsNTimes() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 1"]).status == 0)
            #expect(try await eventually(timeout: .seconds(20)) {
                try await h.berth(["inspect", "-f", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", "flaky"]).out == "exited 2 1\n"
            })
            try await Task.sleep(for: .seconds(1))  // and no further restart
            #expect(try await h.berth(["inspect", "-f", "{{.RestartCount}}", "flaky"]).out == "2\n")
            #expect(try await h.berth(["logs", "flaky"]).out == "run\nrun\nrun\n")

            // always: restarted even after a clean exit, until stopped by the user.
            #expect(try await h.berth(["run", "-d", "--name", "loop", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2"]).status == 0)
            #expect(try await eventually(timeout: .seconds(20)) {
                Int(try await h.berth(["inspect", "-f", "{{.RestartCount}}", "loop"]).out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 2
            })
            #expect(try await h.berth(["stop", "-t", "1", "loop"]).status == 0)
            let count = try await h.berth(["inspect", "-f", "{{.RestartCount}}", "loop"]).out
            try await Task.sleep(for: .seconds(1))
            let after = try await h.berth(["inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "loop"]).out
            #expect(after == "exited \(count)", "after stop: \(after)\n\(h.engineLog.suffix(2500))")
            #expect(try await h.berth(["run", "--rm", "--restart", "always", "busybox", "true"]).status == 125)  // docker: conflicting options
        }
    }

    @Test func jsonFileLogRotatesAndKeepsTheNewestLinesInOrder() async throws {
        try await withEngine { h in
            let run = try await h.berth(["run", "--name", "chatty", "--log-opt", "max-size=2k", "--log-opt", "max-file=2", "busybox",
                                   "sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done"])
            #expect(run.status == 0)
            let path = try await h.berth(["inspect", "-f", "{{.LogPath}}", "chatty"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(FileManager.default.fileExists(atPath: path + ".1"))
            #expect(!FileManager.default.fileExists(atPath: path + ".2"))
            let kept = try await h.berth(["logs", "chatty"]).out.split(separator: "\n").map(String.init)
            #expect(kept.last == "line-299")
            let numbers = kept.compactMap { Int($0.dropFirst("line-".count)) }
            #expect(numbers == Array((300 - numbers.count)..<300))  // a contiguous, ordered tail
            #expect(numbers.count > 10 && numbers.count < 300)
            #expect(try await h.berth(["logs", "--tail", "3", "chatty"]).out == "line-297\nline-298\nline-299\n")

            // Rotations that drop nothing: attach and logs see every line once, in order, across files.
            let all = try await h.berth(["run", "--name", "kept", "--log-opt", "max-size=4k", "--log-opt", "max-file=9", "busybox",
                                   "sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done"])
            let expected = (0..<300).map { "line-\($0)\n" }.joined()
            #expect(all.out == expected)
            #expect(try await h.berth(["logs", "kept"]).out == expected)
            let keptPath = try await h.berth(["inspect", "-f", "{{.LogPath}}", "kept"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(FileManager.default.fileExists(atPath: keptPath + ".3"))
        }
    }
}
