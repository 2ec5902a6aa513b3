// SupervisorFaultTests: berth-supervisor killed with SIGKILL inside a task's create or delete
// (a test-only fault point, $BERTH_FAULT), then restarted: an interrupted create leaves no task,
// no shim, no container process, no mount and no bundle, and the id can be used again; a create
// killed after the shim made the task keeps a consistent task; an interrupted delete completes.
import API
import Errdefs
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.offPool) struct SupervisorFaultTests {
    /// Nothing of task `id` is left: no bundle, no mount under the harness, no shim or container.
    func expectNoTrace(_ h: SupervisorHarness, _ client: SupervisorClient, _ id: String) async throws {
        #expect(try await client.listTasks().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(h.work)/run/tasks/test/\(id)"))
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains("\(h.work)/run/tasks"))
        let cgroup = "/sys/fs/cgroup/pids/berth-test-sup-\(h.work.suffix(8))-\(id)"
        #expect(await eventually { !FileManager.default.fileExists(atPath: cgroup) }, "container cgroup \(cgroup) left")
    }

    @Test(arguments: ["task-create-before-shim", "task-create-after-shim-start"])
    func anInterruptedCreateLeavesNoTask(fault: String) async throws {
        try await withSupervisor { h, first in
            h.killSupervisor()
            let client = try await h.start(fault: fault)
            let id = "half"
            try await client.createContainer(try h.container(id, ["/bin/sleep", "1000"]))
            #expect(await CoreError.code { _ = try await client.createTask(try h.taskRequest(id)) } != nil)  // it died mid-call
            let shim = h.shimPID(id)
            let after = try await h.start()
            try await expectNoTrace(h, after, id)
            if let shim { #expect(await eventually { kill(shim, 0) != 0 }, "shim \(shim) still running") }
            // The id is free: a whole life works.
            _ = try await after.createTask(try h.taskRequest(id))
            try await after.startTask(id)
            try await after.kill(id, signal: SIGKILL)
            #expect(try await after.wait(id).exitStatus == 137)
            try await after.deleteTask(id)
            _ = first
        }
    }

    @Test func aCreateKilledAfterTheShimMadeTheTaskKeepsIt() async throws {
        try await withSupervisor { h, _ in
            h.killSupervisor()
            let client = try await h.start(fault: "task-create-after-create")
            try await client.createContainer(try h.container("made", ["/bin/sleep", "1000"]))
            #expect(await CoreError.code { _ = try await client.createTask(try h.taskRequest("made")) } != nil)
            let after = try await h.start()
            #expect(try await after.task("made").status == .created)
            try await after.startTask("made")
            try await after.kill("made", signal: SIGKILL)
            #expect(try await after.wait("made").exitStatus == 137)
            try await after.deleteTask("made")
            try await expectNoTrace(h, after, "made")
        }
    }

    /// The supervisor killed while `shim start` runs — the shim's daemon spawned, its `address`
    /// not yet written — and restarted at once: no daemon may be left that no bundle names. The
    /// pause is long (5 s) so that a loaded machine still kills inside it; the test checks that it did.
    /// The suite runs off the cooperative pool, so that other tests blocking it cannot hold this
    /// one's polls past the pause.
    @Test func aShimStartOutlivingItsSupervisorLeavesNoShim() async throws {
        try await withSupervisor { h, client in
            let wrapper = "\(h.work)/slow-shim"
            try "#!/bin/sh\nBERTH_FAULT_PAUSE=shim-start-after-spawn:5000 exec \(h.binaries.shim) \"$@\"\n"
                .write(toFile: wrapper, atomically: true, encoding: .utf8)
            chmod(wrapper, 0o755)
            try await client.createContainer(try h.container("slow", ["/bin/sleep", "1000"]))
            var request = try h.taskRequest("slow")
            request.runtimePath = wrapper
            let creating = Task { try await client.createTask(request) }
            // Spawned (a loaded machine may take well over 10 s to get there); `address` comes 5 s later.
            #expect(await eventually(timeout: .seconds(90)) { h.shimPID("slow") != nil })
            let shim = try #require(h.shimPID("slow"))
            defer { kill(shim, SIGKILL) }
            h.killSupervisor()
            try #require(access("\(h.work)/run/tasks/test/slow/address", F_OK) != 0, "killed after `address` was written")
            _ = await creating.result
            let after = try await h.start()
            try await expectNoTrace(h, after, "slow")
            #expect(await eventually { kill(shim, 0) != 0 }, "shim \(shim) outlived its start")
        }
    }

    @Test func anInterruptedDeleteCompletesOnRestart() async throws {
        try await withSupervisor { h, _ in
            h.killSupervisor()
            let client = try await h.start(fault: "task-delete-after-shim-delete")
            try await h.run(client, "gone", ["/bin/sh", "-c", "exit 9"])
            #expect(try await client.wait("gone").exitStatus == 9)
            let shim = try #require(h.shimPID("gone"))
            #expect(await CoreError.code { try await client.deleteTask("gone") } != nil)
            let after = try await h.start()
            try await expectNoTrace(h, after, "gone")
            #expect(await eventually { kill(shim, 0) != 0 }, "shim \(shim) still running")
            try await after.deleteContainer("gone")
        }
    }
}
