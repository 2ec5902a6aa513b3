// Interop with the real thing: berth's ttrpc client and protos drive Debian's
// containerd-shim-runc-v2 through its `start` contract, Connect, Create, Start, Wait, Delete and
// Shutdown of a busybox container, and a berth events server receives the shim's task events.
// This proves the wire and the .proto files byte-compatible before berth has its own shim.
import API
import Errdefs
import Foundation
import RPC
import RPCNIO
import SwiftProtobuf
import TestSupport
import Testing

/// Collects the envelopes a shim forwards.
actor EventLog {
    private(set) var envelopes: [Containerd_Types_Envelope] = []
    /// A shim that misses an acknowledgement publishes the same envelope again: keep one copy.
    func append(_ e: Containerd_Types_Envelope) { if !envelopes.contains(e) { envelopes.append(e) } }
    var topics: [String] { envelopes.map(\.topic) }
}

@Suite(.serialized, .offPool) struct RealShimTests {
    static let shimBinary = "/usr/bin/containerd-shim-runc-v2"

    @Test func driveContainerdShimRuncV2() async throws {
        try #require(getuid() == 0, "the real-shim test runs as root (scripts/test.sh runs it so)")
        try #require(FileManager.default.isExecutableFile(atPath: Self.shimBinary),
                     "containerd-shim-runc-v2 is missing: run scripts/install-deps.sh")

        let namespace = "berth-interop-\(getpid())"
        let id = "shim-probe"
        let work = NSTemporaryDirectory() + "berth-interop-\(UUID().uuidString.prefix(8))"
        let bundle = "\(work)/\(namespace)/\(id)"  // the runc shim requires basename(bundle) == id
        let fifoDir = "\(work)/fifo"
        try FileManager.default.createDirectory(atPath: "\(work)/\(namespace)", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: fifoDir, withIntermediateDirectories: true)
        try TestImage.makeBundle(at: bundle, args: ["/bin/sh", "-c", "echo hello from busybox; echo to stderr >&2; exit 3"])

        // The shim's own log goes to <bundle>/log, a fifo containerd would read; without it the
        // 1.6 shim dies at once. We keep a reader open and drain it.
        let logFifo = try Fifo(path: bundle + "/log")
        let stdout = try Fifo(path: "\(fifoDir)/\(id)-stdout")
        let stderr = try Fifo(path: "\(fifoDir)/\(id)-stderr")

        // Our events server stands where containerd's ttrpc socket would be.
        let events = EventLog()
        var registry = ServiceRegistry()
        EventsAPI.register(on: &registry) { envelope, _ in await events.append(envelope) }
        let eventServer = RPCServer(registry: registry)
        let eventSocket = "\(work)/containerd.sock.ttrpc"
        try await eventServer.listen(path: eventSocket)

        var shimPID: Int32 = 0
        var shimSocket = ""
        defer {
            // Whatever happened, leave nothing behind: the shim, runc's state, sockets, files.
            if shimPID > 0 { kill(shimPID, SIGKILL) }
            _ = try? run("/usr/sbin/runc", ["--root", "/run/containerd/runc/\(namespace)", "delete", "--force", id])
            try? FileManager.default.removeItem(atPath: "/run/containerd/runc/\(namespace)")
            // runc removes the container's cgroup leaf; an empty parent named after the namespace is ours.
            for controller in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
                rmdir("/sys/fs/cgroup/\(controller)/\(namespace)")
            }
            if !shimSocket.isEmpty { unlink(shimSocket) }
            logFifo.close(); stdout.close(); stderr.close()
            try? FileManager.default.removeItem(atPath: work)
        }

        // 1. The binary contract: `start` with cwd = bundle prints the address and exits.
        var env = ProcessInfo.processInfo.environment
        env["TTRPC_ADDRESS"] = eventSocket
        env["NAMESPACE"] = namespace
        let start = try run(Self.shimBinary, ["-namespace", namespace, "-address", "\(work)/containerd.sock",
                                              "-publish-binary", "/bin/false", "-id", id, "start"],
                            cwd: bundle, environment: env)
        let address = start.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(start.status == 0, "shim start failed: \(start.output)")
        #expect(address.hasPrefix("unix://"))
        shimSocket = String(address.dropFirst("unix://".count))
        #expect(try String(contentsOfFile: bundle + "/address", encoding: .utf8) == address)

        // 2. Connect before Create: shim pid, no task pid yet.
        let rpc = try await RPCClient.connect(path: address)
        let task = TaskClient(rpc: rpc, namespace: namespace)
        var connect = Containerd_Task_V2_ConnectRequest()
        connect.id = id
        let connected = try await task.connect(connect, timeout: .seconds(10))
        shimPID = Int32(connected.shimPid)
        #expect(shimPID > 0)
        #expect(connected.taskPid == 0)

        // 3. Create with fifos for stdout and stderr, then Start.
        var create = Containerd_Task_V2_CreateTaskRequest()
        create.id = id
        create.bundle = bundle
        create.stdout = stdout.path
        create.stderr = stderr.path
        let created = try await task.create(create, timeout: .seconds(30))
        #expect(created.pid > 0)

        var state = Containerd_Task_V2_StateRequest()
        state.id = id
        #expect(try await task.state(state).status == .created)

        var startRequest = Containerd_Task_V2_StartRequest()
        startRequest.id = id
        let started = try await task.start(startRequest, timeout: .seconds(30))
        #expect(started.pid == created.pid)

        // 4. Wait blocks until the container exits with its status.
        var wait = Containerd_Task_V2_WaitRequest()
        wait.id = id
        let waited = try await task.wait(wait, timeout: .seconds(30))
        #expect(waited.exitStatus == 3)
        #expect(waited.exitedAt.seconds > 0)
        #expect(try await task.state(state).status == .stopped)

        // The container's output came through the fifos.
        let out = stdout.readAvailable()
        #expect(out == "hello from busybox\n")
        #expect(stderr.readAvailable() == "to stderr\n")
        if ProcessInfo.processInfo.environment["BERTH_SHOW_OUTPUT"] == "1" {
            print("container \(id) (pid \(created.pid)) exited \(waited.exitStatus); stdout: \(out)", terminator: "")
        }

        // 5. Delete reports the exit; a second Delete finds nothing.
        var delete = Containerd_Task_V2_DeleteRequest()
        delete.id = id
        let deleted = try await task.delete(delete, timeout: .seconds(30))
        #expect(deleted.exitStatus == 3)
        #expect(deleted.pid == created.pid)
        await #expect(throws: CoreError.self) { try await task.delete(delete) }

        // 6. The shim forwarded each of its task events to our server once, in our namespace.
        // Not necessarily in order: the Go shim requeues a publish that failed or timed out (5 s)
        // and sends the next events meanwhile, which a stall of this loaded test process causes.
        let all = [TaskTopic.create, TaskTopic.start, TaskTopic.exit, TaskTopic.delete]
        let deadline = ContinuousClock.now + .seconds(60)  // generous: the whole suite shares 2 cores
        while await !Set(all).isSubset(of: events.topics), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let topics = await events.topics
        #expect(topics.sorted() == all.sorted(), "topics: \(topics)")
        let envelopes = await events.envelopes
        #expect(envelopes.allSatisfy { $0.namespace == namespace })
        if let exitEnvelope = envelopes.first(where: { $0.topic == TaskTopic.exit }) {
            let exit = try #require(try exitEnvelope.event.unpack(Containerd_Events_TaskExit.self))
            #expect(exit.containerID == id && exit.id == id)
            #expect(exit.pid == created.pid && exit.exitStatus == 3)
        }
        if let createEnvelope = envelopes.first(where: { $0.topic == TaskTopic.create }) {
            let createEvent = try #require(try createEnvelope.event.unpack(Containerd_Events_TaskCreate.self))
            #expect(createEvent.bundle == bundle && createEvent.io.stdout == stdout.path)
        }

        // 7. Shutdown: the shim, holding no task, exits.
        var shutdown = Containerd_Task_V2_ShutdownRequest()
        shutdown.id = id
        _ = try? await task.shutdown(shutdown, timeout: .seconds(10))
        await rpc.close()
        let gone = ContinuousClock.now + .seconds(30)
        while kill(shimPID, 0) == 0, ContinuousClock.now < gone { try await Task.sleep(for: .milliseconds(50)) }
        #expect(kill(shimPID, 0) != 0, "the shim did not exit after Shutdown")
        if kill(shimPID, 0) != 0 { shimPID = 0 }
        await eventServer.close()
    }
}
