// Exec through berth-shim: a process added to a running container with its output on a fifo,
// its exit status from Wait and State (apart from the init's), Kill with its exec_id, Delete; an
// exec's exit never ends the task, and the init's TaskExit comes after the execs'.
import API
import Errdefs
import Foundation
import RPC
import RPCNIO
import SwiftProtobuf
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension TaskClient {
    /// Exec `execID` running `args` (an OCI Process as JSON in an Any, as containerd sends it).
    func exec(id: String, execID: String, _ args: [String], stdin: String = "", stdout: String = "", stderr: String = "",
              terminal: Bool = false) async throws {
        var process: [String: Any] = ["args": args, "cwd": "/", "env": ["PATH=/usr/bin:/bin"],
                                      "user": ["uid": 0, "gid": 0]]
        if terminal { process["terminal"] = true }
        var request = Containerd_Task_V2_ExecProcessRequest()
        request.id = id
        request.execID = execID
        request.stdin = stdin
        request.terminal = terminal
        request.stdout = stdout
        request.stderr = stderr
        request.spec = Google_Protobuf_Any(ociType: "Process", json: [UInt8](try JSONSerialization.data(withJSONObject: process)))
        _ = try await exec(request, timeout: .seconds(10))
    }

    func execRequest<R: Message>(_ type: R.Type, id: String, execID: String) -> R {
        var request = R()
        try? request.merge(serializedBytes: ProcessRequestBytes(id: id, execID: execID).bytes)
        return request
    }
}

/// id=1, exec_id=2: the shape of State, Start, Wait and Delete requests.
struct ProcessRequestBytes {
    var bytes: [UInt8]
    init(id: String, execID: String) {
        var out: [UInt8] = []
        for (field, value) in [(1, id), (2, execID)] {
            let utf8 = Array(value.utf8)
            out += [UInt8(field << 3 | 2), UInt8(utf8.count)] + utf8
        }
        bytes = out
    }
}

@Suite(.serialized, .offPool) struct ShimExecTests {
    @Test func execOutputStatusAndEvents() async throws {
        try await withShim { h in
            let events = EventsServer(path: "\(h.work)/events.ttrpc")
            try await events.listen()
            defer { Task { await events.close() } }
            let id = "exec"
            let c = try await h.container(id, ["/bin/sleep", "1000"], events: events.path)
            let out = try FifoReader("\(h.work)/e1-stdout")
            try await c.task.exec(id: id, execID: "e1", ["/bin/sh", "-c", "echo from exec; exit 7"], stdout: out.path)
            #expect(await CoreError.code { try await c.task.exec(id: id, execID: "e1", ["/bin/true"]) } == .alreadyExists)
            let added = try await c.task.state(c.task.execRequest(Containerd_Task_V2_StateRequest.self, id: id, execID: "e1"))
            #expect(added.status == .created && added.execID == "e1" && added.stdout == out.path)

            let started = try await c.task.start(c.task.execRequest(Containerd_Task_V2_StartRequest.self, id: id, execID: "e1"))
            #expect(started.pid > 0 && started.pid != c.pid)
            let waited = try await c.task.wait(c.task.execRequest(Containerd_Task_V2_WaitRequest.self, id: id, execID: "e1"))
            #expect(waited.exitStatus == 7)
            #expect(await eventually { out.peek() == "from exec\n" })
            let stopped = try await c.task.state(c.task.execRequest(Containerd_Task_V2_StateRequest.self, id: id, execID: "e1"))
            #expect(stopped.status == .stopped && stopped.exitStatus == 7 && stopped.pid == started.pid)
            // The exec's exit is its own: the task runs on, and its record is apart from the init's.
            #expect(try await c.task.state(id: id).status == .running)
            #expect(!FileManager.default.fileExists(atPath: c.bundle + "/init.exit"))
            #expect(FileManager.default.fileExists(atPath: c.bundle + "/exec-e1.exit"))

            let deleted = try await c.task.delete(c.task.execRequest(Containerd_Task_V2_DeleteRequest.self, id: id, execID: "e1"))
            #expect(deleted.pid == started.pid && deleted.exitStatus == 7)
            #expect(await CoreError.code {
                _ = try await c.task.state(c.task.execRequest(Containerd_Task_V2_StateRequest.self, id: id, execID: "e1"))
            } == .notFound)

            // A second exec still running when the init is killed: its exit is published first.
            try await c.task.exec(id: id, execID: "e2", ["/bin/sleep", "1000"])
            _ = try await c.task.start(c.task.execRequest(Containerd_Task_V2_StartRequest.self, id: id, execID: "e2"))
            try await c.task.kill(id: id, signal: SIGKILL)
            #expect(try await c.task.wait(id: id).exitStatus == 137)
            let e2 = try await c.task.wait(c.task.execRequest(Containerd_Task_V2_WaitRequest.self, id: id, execID: "e2"))
            #expect(e2.exitStatus == 137)
            try await c.task.delete(id: id)

            #expect(await events.received(TaskTopic.delete))
            #expect(events.topics == [TaskTopic.create, TaskTopic.start, TaskTopic.execAdded, TaskTopic.execStarted,
                                      TaskTopic.exit, TaskTopic.execAdded, TaskTopic.execStarted, TaskTopic.exit,
                                      TaskTopic.exit, TaskTopic.delete])
            let exits = try events.envelopes.filter { $0.topic == TaskTopic.exit }
                .compactMap { try $0.event.unpack(Containerd_Events_TaskExit.self) }
            #expect(exits.map(\.id) == ["e1", "e2", id])
            #expect(exits.map(\.exitStatus) == [7, 137, 137])
            #expect(exits.first?.pid == started.pid)
        }
    }

    @Test func killAnExecLeavesTheTaskRunning() async throws {
        try await withShim { h in
            let id = "execkill"
            let c = try await h.container(id, ["/bin/sleep", "1000"])
            try await c.task.exec(id: id, execID: "sleeper", ["/bin/sleep", "1000"])
            // Not started yet: nothing to signal, but it can be deleted.
            var kill = Containerd_Task_V2_KillRequest()
            kill.id = id
            kill.execID = "sleeper"
            kill.signal = UInt32(SIGTERM)
            #expect(await CoreError.code { _ = try await c.task.kill(kill, timeout: .seconds(10)) } == .failedPrecondition)
            _ = try await c.task.start(c.task.execRequest(Containerd_Task_V2_StartRequest.self, id: id, execID: "sleeper"))
            #expect(await CoreError.code {
                _ = try await c.task.delete(c.task.execRequest(Containerd_Task_V2_DeleteRequest.self, id: id, execID: "sleeper"))
            } == .failedPrecondition)
            _ = try await c.task.kill(kill, timeout: .seconds(10))
            let waited = try await c.task.wait(c.task.execRequest(Containerd_Task_V2_WaitRequest.self, id: id, execID: "sleeper"))
            #expect(waited.exitStatus == 143)
            #expect(try await c.task.state(id: id).status == .running)
            #expect(await CoreError.code { _ = try await c.task.kill(kill, timeout: .seconds(10)) } == .notFound)
            _ = try await c.task.delete(c.task.execRequest(Containerd_Task_V2_DeleteRequest.self, id: id, execID: "sleeper"))
            try await c.task.kill(id: id, signal: SIGKILL)
            #expect(try await c.task.wait(id: id).exitStatus == 137)
        }
    }
}
