// berth-shim's task events: forwarded to an events service at $TTRPC_ADDRESS (our RPCNIO server
// standing in for containerd) in order, and never dropped — an exit that happens while the
// service is down is spooled in the bundle and delivered when a service listens there again.
import API
import Errdefs
import Foundation
import RPC
import RPCNIO
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A stand-in for containerd's ttrpc events service, collecting what shims forward.
final class EventsServer: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var received: [Containerd_Types_Envelope] = []
    private var server: RPCServer?

    init(path: String) { self.path = path }

    func listen() async throws {
        var registry = ServiceRegistry()
        // Delivery is at least once: a shim whose Forward was not acknowledged in time sends the
        // same envelope again (same timestamp and payload), and a consumer keeps one copy.
        EventsAPI.register(on: &registry) { [self] envelope, _ in
            lock.withLock { if !received.contains(envelope) { received.append(envelope) } }
        }
        let server = RPCServer(registry: registry)
        try await server.listen(path: path)
        lock.withLock { self.server = server }
    }

    func close() async {
        let server = lock.withLock { () -> RPCServer? in defer { self.server = nil }; return self.server }
        await server?.close()
    }

    var envelopes: [Containerd_Types_Envelope] { lock.withLock { received } }
    var topics: [String] { envelopes.map(\.topic) }

    /// Waits until `topic` has arrived `count` times. Generous: a shim backs off between retries
    /// while this in-process server answers slowly, and the full suite loads both cores.
    func received(_ topic: String, count: Int = 1, timeout: Duration = .seconds(60)) async -> Bool {
        await eventually(timeout: timeout) { self.topics.filter { $0 == topic }.count >= count }
    }
}

@Suite(.serialized, .offPool) struct ShimEventsTests {
    @Test func lifecycleEventsArriveInOrder() async throws {
        try await withShim { h in
            let events = EventsServer(path: "\(h.work)/events.ttrpc")
            try await events.listen()
            defer { Task { await events.close() } }
            let id = "events"
            let c = try await h.container(id, ["/bin/sleep", "1000"], start: false, events: events.path)
            try await c.task.start(id: id)
            var pause = Containerd_Task_V2_PauseRequest()
            pause.id = id
            _ = try await c.task.pause(pause, timeout: .seconds(10))
            var resume = Containerd_Task_V2_ResumeRequest()
            resume.id = id
            _ = try await c.task.resume(resume, timeout: .seconds(10))
            try await c.task.kill(id: id, signal: SIGKILL)
            #expect(try await c.task.wait(id: id).exitStatus == 137)
            try await c.task.delete(id: id)

            #expect(await events.received(TaskTopic.delete))
            #expect(events.topics == [TaskTopic.create, TaskTopic.start, TaskTopic.paused, TaskTopic.resumed,
                                      TaskTopic.exit, TaskTopic.delete])
            let envelopes = events.envelopes
            #expect(envelopes.allSatisfy { $0.namespace == h.namespace && $0.timestamp.seconds > 0 })
            guard envelopes.count == 6 else { return }
            let created = try #require(try envelopes[0].event.unpack(Containerd_Events_TaskCreate.self))
            #expect(created.containerID == id && created.bundle == c.bundle && created.pid == c.pid)
            let started = try #require(try envelopes[1].event.unpack(Containerd_Events_TaskStart.self))
            #expect(started.containerID == id && started.pid == c.pid)
            #expect(try envelopes[2].event.unpack(Containerd_Events_TaskPaused.self)?.containerID == id)
            let exit = try #require(try envelopes[4].event.unpack(Containerd_Events_TaskExit.self))
            #expect(exit.containerID == id && exit.id == id && exit.pid == c.pid && exit.exitStatus == 137)
            let deleted = try #require(try envelopes[5].event.unpack(Containerd_Events_TaskDelete.self))
            #expect(deleted.containerID == id && deleted.pid == c.pid && deleted.exitStatus == 137)
            #expect(deleted.exitedAt == exit.exitedAt)
            // Every acknowledged event left the spool.
            #expect(await eventually { spooledEvents(c.bundle).isEmpty })
        }
    }

    @Test func anInitThatExitsAtOnceStillHasItsStartFirst() async throws {
        try await withShim { h in
            let events = EventsServer(path: "\(h.work)/events.ttrpc")
            try await events.listen()
            defer { Task { await events.close() } }
            for round in 0..<3 {
                let id = "quick\(round)"
                let c = try await h.container(id, ["/bin/sh", "-c", "exit 3"], events: events.path)
                #expect(try await c.task.wait(id: id).exitStatus == 3)
                try await c.task.delete(id: id)
                #expect(await events.received(TaskTopic.delete, count: round + 1))
            }
            let expected = (0..<3).flatMap { _ in [TaskTopic.create, TaskTopic.start, TaskTopic.exit, TaskTopic.delete] }
            #expect(events.topics == expected)
        }
    }

    @Test func spooledEventsOutliveTheShim() async throws {
        try await withShim { h in
            let path = "\(h.work)/events.ttrpc"  // nobody listens yet
            let id = "replay"
            let c = try await h.container(id, ["/bin/sh", "-c", "exit 9"], events: path)
            #expect(try await c.task.wait(id: id).exitStatus == 9)
            #expect(await eventually { spooledEvents(c.bundle).count == 3 }, "create, start and exit are not spooled")
            kill(c.shimPID, SIGKILL)
            #expect(await eventually { !processAlive(c.shimPID) })

            // A new daemon on the same bundle sends what the dead one could not.
            _ = try await h.startShim(id: id, bundle: c.bundle, events: path)
            let events = EventsServer(path: path)
            try await events.listen()
            defer { Task { await events.close() } }
            #expect(await events.received(TaskTopic.exit))
            #expect(events.topics == [TaskTopic.create, TaskTopic.start, TaskTopic.exit])
            let exit = try events.envelopes.last?.event.unpack(Containerd_Events_TaskExit.self)
            #expect(exit?.exitStatus == 9 && exit?.pid == c.pid)
            #expect(await eventually { spooledEvents(c.bundle).isEmpty })
        }
    }

    @Test func exitWhileTheSupervisorIsDownIsDeliveredLater() async throws {
        try await withShim { h in
            let path = "\(h.work)/events.ttrpc"
            let first = EventsServer(path: path)
            try await first.listen()
            let id = "downtime"
            let c = try await h.container(id, ["/bin/sh", "-c", "read line; exit 42"], stdin: try makeFifo("\(h.work)/\(id)-stdin"),
                                          events: path)
            #expect(await first.received(TaskTopic.start))
            // Acknowledged too, or it would be sent again (at least once) after the exit's outage.
            #expect(await eventually { spooledEvents(c.bundle).isEmpty })
            await first.close()

            // The container exits with nobody listening: Wait still answers, the event waits on disk.
            var close = Containerd_Task_V2_CloseIORequest()
            close.id = id
            close.stdin = true
            _ = try await c.task.closeIO(close, timeout: .seconds(10))
            #expect(try await c.task.wait(id: id).exitStatus == 42)
            #expect(await eventually { spooledEvents(c.bundle).count == 1 }, "the exit is not spooled")
            // Longer than containerd's shim keeps an undeliverable event.
            try await Task.sleep(for: .seconds(16))
            #expect(spooledEvents(c.bundle).count == 1)

            let second = EventsServer(path: path)
            try await second.listen()
            defer { Task { await second.close() } }
            #expect(await second.received(TaskTopic.exit))
            let exit = try #require(try second.envelopes.first?.event.unpack(Containerd_Events_TaskExit.self))
            #expect(exit.containerID == id && exit.pid == c.pid && exit.exitStatus == 42)
            #expect(await eventually { spooledEvents(c.bundle).isEmpty })
            try await c.task.delete(id: id)
            #expect(await second.received(TaskTopic.delete))
            #expect(second.topics == [TaskTopic.exit, TaskTopic.delete])
        }
    }
}

/// The event files waiting in a bundle's spool.
func spooledEvents(_ bundle: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: bundle + "/events")) ?? []).filter { !$0.hasPrefix(".") }
}

/// Makes a fifo and returns its path.
func makeFifo(_ path: String) throws -> String {
    guard mkfifo(path, 0o600) == 0 else { throw HarnessFailure("mkfifo \(path): errno \(errno)") }
    return path
}
