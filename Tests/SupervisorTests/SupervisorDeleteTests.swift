// SupervisorDeleteTests: a task's Delete answers only once the task is really gone — its shim
// and bundle removed — so the container Delete that follows cannot pass while the bundle is
// still there; a second Delete of the same task waits for the first and gets the same answer;
// and a Delete that comes while a dead shim's loss is being handled gets the exit that handling
// finds instead of an error. A gate file holds the supervisor at its pause point meanwhile.
import API
import Errdefs
import Foundation
import RPCNIO
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.offPool) struct SupervisorDeleteTests {
    @Test func aDeleteAnswersOnlyOnceTheBundleIsGone() async throws {
        let gate = Gate()
        defer { gate.open() }
        try await withSupervisor(environment: ["BERTH_FAULT_PAUSE=task-discard-before-remove:\(gate.path)"]) { h, client in
            try await h.run(client, "done", ["/bin/sh", "-c", "exit 3"])
            #expect(try await client.wait("done").exitStatus == 3)
            let bundle = "\(h.work)/run/tasks/test/done"

            async let first = client.deleteTask("done")
            #expect(await gate.held(), "the Delete never reached the bundle's removal")
            async let second = client.deleteTask("done")
            // Held with its shim gone and its bundle still there: the task is still in the table,
            // stopped with the exit its Delete got, and the container cannot go yet.
            #expect(FileManager.default.fileExists(atPath: bundle))
            let during = try await client.task("done")
            #expect(during.status == .stopped && during.exitStatus == 3, "\(during)")
            #expect(await CoreError.code { try await client.kill("done", signal: SIGKILL) } == .failedPrecondition)
            #expect(await CoreError.code { try await client.deleteContainer("done") } == .failedPrecondition,
                    "the container was deleted while its task's bundle was still there")
            gate.open()

            let (one, two) = try await (first, second)
            #expect(!FileManager.default.fileExists(atPath: bundle))
            #expect(one.exitStatus == 3 && two.exitStatus == 3, "the second Delete got the first one's answer")
            #expect(h.supervisorLog.components(separatedBy: "task deleted").count == 2, "one delete, not two")
            #expect(await CoreError.code { _ = try await client.deleteTask("done") } == .notFound)
            try await client.deleteContainer("done")
        }
    }

    @Test func aDeleteWhileALostShimIsHandledGetsItsExit() async throws {
        let gate = Gate()
        defer { gate.open() }
        try await withSupervisor(environment: ["BERTH_FAULT_PAUSE=task-shim-lost-before-delete:\(gate.path)"]) { h, client in
            let pid = try await h.run(client, "victim", ["/bin/sleep", "1000"])
            let shim = try #require(h.shimPID("victim"))
            kill(shim, SIGKILL)
            #expect(await gate.held(), "the shim's loss was not noticed")

            async let deleted = client.deleteTask("victim")  // while `shim delete` has not run yet
            #expect(try await client.task("victim").status == .unknown)
            gate.open()
            #expect(try await deleted.exitStatus == 137, "the exit `shim delete` reports for the container it killed")
            #expect(!FileManager.default.fileExists(atPath: "\(h.work)/run/tasks/test/victim"))
            #expect(await eventually { kill(Int32(pid), 0) != 0 }, "the dead shim's container was left running")
            #expect(h.supervisorLog.contains("shim died; task stopped"))
            try await client.deleteContainer("victim")
        }
    }
}

/// A file that holds a daemon at its $BERTH_FAULT_PAUSE point while it exists.
private struct Gate {
    let path = "/tmp/berth-gate-\(UUID().uuidString.prefix(8).lowercased())"

    init() { FileManager.default.createFile(atPath: path, contents: nil) }

    /// Whether the daemon reached the gate (it creates PATH.held) within 30 s.
    func held() async -> Bool { await eventually(timeout: .seconds(30)) { access(path + ".held", F_OK) == 0 } }

    func open() {
        unlink(path)
        unlink(path + ".held")
    }
}
