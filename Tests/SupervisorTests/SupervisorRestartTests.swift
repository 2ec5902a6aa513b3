// SupervisorRestartTests: berth-supervisor killed with SIGKILL — the shims live on, reparented
// away from it, each container the child of its shim; a restarted supervisor re-attaches to
// them, including one whose container exited while it was down (the exit status is kept), and
// reports a task whose shim died too as stopped, cleaned up through `shim delete`.
import API
import Errdefs
import Foundation
import RPCNIO
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.offPool) struct SupervisorRestartTests {
    @Test func runningTasksSurviveASupervisorKill() async throws {
        try await withSupervisor { h, client in
            let pid = try await h.run(client, "stays", ["/bin/sleep", "1000"])
            try await h.run(client, "exits", ["/bin/sh", "-c", "read x < /dev/null; sleep 1; exit 7"])
            let shim = try #require(h.shimPID("stays"))
            #expect(parentOf(Int32(pid)) == shim)  // the container is its shim's child
            let supervisor = h.pid
            #expect(parentOf(shim) != supervisor)  // the shim was reparented away from the supervisor

            h.killSupervisor()
            try await Task.sleep(for: .milliseconds(1500))  // "exits" ends while nobody supervises it
            #expect(kill(Int32(pid), 0) == 0)

            let after = try await h.start()
            let tasks = try await after.listTasks()
            #expect(tasks.map(\.id) == ["exits", "stays"])
            #expect(tasks.first { $0.id == "stays" }?.status == .running)
            #expect(try await after.wait("exits").exitStatus == 7)
            try await after.kill("stays", signal: SIGKILL)
            #expect(try await after.wait("stays").exitStatus == 137)
            #expect(try await after.deleteTask("stays").exitStatus == 137)
            #expect(try await after.deleteTask("exits").exitStatus == 7)
        }
    }

    @Test func aTaskWhoseShimDiedIsReportedStopped() async throws {
        try await withSupervisor { h, client in
            let pid = try await h.run(client, "orphan", ["/bin/sleep", "1000"])
            let shim = try #require(h.shimPID("orphan"))
            h.killSupervisor()
            kill(shim, SIGKILL)
            #expect(await eventually { kill(shim, 0) != 0 || parentOf(shim) == 0 })

            let after = try await h.start()
            let task = try await after.task("orphan")
            #expect(task.status == .stopped)
            #expect(await eventually { kill(Int32(pid), 0) != 0 })  // shim delete killed what was left
            #expect(try await after.wait("orphan").exitStatus == task.exitStatus)
            try await after.deleteTask("orphan")
            let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            #expect(!mounts.contains(h.work))
        }
    }
}

@Suite(.offPool) struct SupervisorShimLossTests {
    @Test func aShimKilledUnderARunningSupervisorStopsOnlyItsTask() async throws {
        try await withSupervisor { h, client in
            let subscriber = SupervisorClient(rpc: try await RPCClient.connect(path: h.address), namespace: "test")
            var request = Supervisor_SubscribeRequest()
            request.filters = [#"topic=="/tasks/exit""#]
            let stream = try await (subscriber.rpc as! RPCClient).stream(SupervisorAPI.events, "Subscribe", request,
                                                                      returning: Containerd_Types_Envelope.self)
            let victim = try await h.run(client, "victim", ["/bin/sleep", "1000"])
            let bystander = try await h.run(client, "bystander", ["/bin/sleep", "1000"])
            let shim = try #require(h.shimPID("victim"))
            async let waited = client.wait("victim")
            try await Task.sleep(for: .milliseconds(200))
            kill(shim, SIGKILL)

            let exit = try await waited
            #expect(exit.exitStatus != 0)  // what `shim delete` reports for a container it had to kill
            #expect(try await client.task("victim").status == .stopped)
            #expect(await eventually { kill(Int32(victim), 0) != 0 }, "the container of the dead shim was not cleaned up")
            for try await envelope in stream {
                let event = try Containerd_Events_TaskExit(serializedBytes: envelope.event.value)
                #expect(event.containerID == "victim" && event.exitStatus == exit.exitStatus)
                break
            }
            // The other container never noticed.
            #expect(kill(Int32(bystander), 0) == 0)
            #expect(try await client.task("bystander").status == .running)
            try await client.deleteTask("victim")
            // The dead shim's socket, left behind by the SIGKILL, did not hold the delete up for
            // the 3 s a live shim gets to go (and then a SIGKILL to a pid that was already gone).
            #expect(!h.supervisorLog.contains("shim did not exit after shutdown"), "\(h.supervisorLog.suffix(2000))")
            try await client.kill("bystander", signal: SIGKILL)
            _ = try await client.wait("bystander")
            try await client.deleteTask("bystander")
        }
    }
}
