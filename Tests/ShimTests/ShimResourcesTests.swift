// Update and Stats through berth-shim: new limits applied by the runtime (`update --resources -`)
// show up in the cgroup metrics Stats returns (containerd's cgroups v1 or v2 Metrics, whichever
// the host has); an Update without resources is InvalidArgument and the shim carries on.
import API
import Errdefs
import Foundation
import ShimCore
import SwiftProtobuf
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct ShimResourcesTests {
    func stats(_ task: TaskClient, id: String) async throws -> (v2: Bool, metrics: NumericMessage) {
        var request = Containerd_Task_V2_StatsRequest()
        request.id = id
        let any = try await task.stats(request, timeout: .seconds(10)).stats
        let v2 = any.typeURL == "io.containerd.cgroups.v2.Metrics"
        #expect(v2 || any.typeURL == "io.containerd.cgroups.v1.Metrics")
        return (v2, try NumericMessage(protoBytes: [UInt8](any.value)))
    }

    @Test func updateLimitsShowInStats() async throws {
        try await withShim { h in
            let id = "resources"
            let c = try await h.container(id, ["/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"])
            var before = try await stats(c.task, id: id)
            for _ in 0..<100 where (before.metrics.messages[before.v2 ? 1 : 2]?.numbers[1] ?? 0) < 3 {
                try await Task.sleep(for: .milliseconds(20))
                before = try await stats(c.task, id: id)
            }
            let pidsField = before.v2 ? 1 : 2
            #expect(before.metrics.messages[pidsField]?.numbers[1] == 3, "sh and two sleeps")
            let memoryUsage = before.v2 ? before.metrics.messages[4]?.numbers[32]
                                        : before.metrics.messages[4]?.messages[33]?.numbers[2]
            #expect((memoryUsage ?? 0) > 0)

            var missing = Containerd_Task_V2_UpdateTaskRequest()
            missing.id = id
            #expect(await CoreError.code { _ = try await c.task.update(missing, timeout: .seconds(10)) } == .invalidArgument)

            var update = Containerd_Task_V2_UpdateTaskRequest()
            update.id = id
            update.resources = Google_Protobuf_Any(ociType: "LinuxResources",
                                                   json: Array(#"{"memory":{"limit":67108864},"pids":{"limit":50}}"#.utf8))
            _ = try await c.task.update(update, timeout: .seconds(30))
            let after = try await stats(c.task, id: id)
            #expect(after.metrics.messages[pidsField]?.numbers[2] == 50)
            let memoryLimit = after.v2 ? after.metrics.messages[4]?.numbers[33] : after.metrics.messages[4]?.messages[33]?.numbers[1]
            #expect(memoryLimit == 67_108_864)

            try await c.task.kill(id: id, signal: SIGKILL, all: true)
            #expect(try await c.task.wait(id: id).exitStatus == 137)
            #expect(await CoreError.code { _ = try await c.task.update(update, timeout: .seconds(10)) } == .failedPrecondition)
            var request = Containerd_Task_V2_StatsRequest()
            request.id = id
            #expect(await CoreError.code { _ = try await c.task.stats(request, timeout: .seconds(10)) } == .notFound)
        }
    }

    @Test func oomKillIsPublished() async throws {
        try await withShim { h in
            let events = EventsServer(path: "\(h.work)/events.ttrpc")
            try await events.listen()
            defer { Task { await events.close() } }
            let id = "oom"
            let c = try await h.container(id, ["/bin/sleep", "1000"], events: events.path)
            var update = Containerd_Task_V2_UpdateTaskRequest()
            update.id = id
            update.resources = Google_Protobuf_Any(ociType: "LinuxResources", json: Array(#"{"memory":{"limit":33554432}}"#.utf8))
            _ = try await c.task.update(update, timeout: .seconds(30))
            // A 64 MiB buffer in a 32 MiB cgroup: the OOM killer ends the exec, not the task.
            try await c.task.exec(id: id, execID: "hog", ["/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"])
            _ = try await c.task.start(c.task.execRequest(Containerd_Task_V2_StartRequest.self, id: id, execID: "hog"))
            let hog = try await c.task.wait(c.task.execRequest(Containerd_Task_V2_WaitRequest.self, id: id, execID: "hog"))
            #expect(hog.exitStatus == 137)
            #expect(await events.received(TaskTopic.oom))
            let oom = try events.envelopes.first { $0.topic == TaskTopic.oom }?.event.unpack(Containerd_Events_TaskOOM.self)
            #expect(oom?.containerID == id)
            #expect(try await c.task.state(id: id).status == .running)
            try await c.task.kill(id: id, signal: SIGKILL)
            _ = try await c.task.wait(id: id)
            // Every notice of the hog's OOM came from its own allocations before it died, long
            // before the task's exit (the second one here) was published. One kill may notify
            // more than once on cgroup v1 — an allocation that hits the limit again before the
            // victim is gone — and the shim, as containerd's, reports each notice.
            #expect(await events.received(TaskTopic.exit, count: 2))
            let ooms = events.topics.filter { $0 == TaskTopic.oom }.count
            try await c.task.delete(id: id)
            // The cgroup's removal is not reported as another OOM.
            #expect(await events.received(TaskTopic.delete))
            #expect(events.topics.filter { $0 == TaskTopic.oom }.count == ooms)
        }
    }
}
