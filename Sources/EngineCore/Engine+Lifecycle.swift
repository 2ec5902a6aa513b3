// Engine+Lifecycle: start, stop, kill, remove and wait — docker's verbs with docker's rules
// (stop: the stop signal, the timeout, then SIGKILL; rm of a running container needs --force;
// wait conditions not-running, next-exit, removed).
import API
import Errdefs
import Foundation
import Glibc
import SwiftProtobuf
import Sys

extension Engine {
    public func start(_ reference: String) async throws {
        var stored = try store.resolve(reference)
        let id = stored.inspect.id
        switch stored.inspect.state.status {
        case .running: return  // docker: 304 Not Modified
        case .paused: throw CoreError(.failedPrecondition, "cannot start a paused container, try unpause instead")
        case .removing, .dead: throw CoreError(.failedPrecondition, "container \(id) is marked for removal and cannot be started")
        default: break
        }
        stored.manuallyStopped = false
        try await startTask(&stored)
    }

    /// Creates and starts the task of `stored` and records it running.
    func startTask(_ stored: inout Engine_StoredContainer) async throws {
        let id = stored.inspect.id
        var request = Supervisor_CreateTaskRequest()
        request.containerID = id
        request.terminal = stored.inspect.config.tty
        if !stored.inspect.logPath.isEmpty {
            let uri = stored.inspect.hostConfig.logConfig.type == "journald"
                ? journalURI(stored) : Self.logURI(path: stored.inspect.logPath, options: stored.inspect.hostConfig.logConfig.config)
            request.stdout = uri
            request.stderr = stored.inspect.config.tty ? "" : uri
        }
        if stored.inspect.config.openStdin { request.stdin = try prepareStdin(id) }
        let pid: UInt32
        do {
            try await connectNetworks(&stored)
            pid = try await createAndStartTask(request)
        } catch {
            await disconnectNetworks(&stored)
            stored.inspect.state.status = .exited
            stored.inspect.state.running = false
            stored.inspect.state.restarting = false
            stored.inspect.state.exitCode = 128
            stored.inspect.state.error = "\(error)"
            try? await saveContainer(stored)
            notify(id)
            throw error
        }
        FaultInjection.hit("engine-task-started")
        stored.inspect.state.status = .running
        stored.inspect.state.running = true
        stored.inspect.state.restarting = false
        stored.inspect.state.paused = false
        stored.inspect.state.pid = pid
        stored.inspect.state.exitCode = 0
        stored.inspect.state.error = ""
        stored.inspect.state.startedAt = Google_Protobuf_Timestamp(date: Date())
        try await saveContainer(stored)
        notify(id)
        await closePendingStdin(id)
        await events.publish(type: "container", action: "start", id: id, attributes: attributes(of: stored))
        watch(id)
    }

    /// Creates and starts the task through the supervisor, one call per step. SupervisorLink
    /// retries a call the supervisor died in, and the supervisor finishes a create or start its
    /// caller hung up on: so a retried step finds its first try's work done — the task made, or
    /// started (and perhaps exited already) — and takes it as its own instead of deleting it and
    /// running the container a second time.
    private func createAndStartTask(_ create: Supervisor_CreateTaskRequest) async throws -> UInt32 {
        let id = create.containerID
        // A task left stopped by an exit the engine did not see through (crash) goes first.
        _ = try? await link.run { try await $0.deleteTask(id) }
        let began = Date()
        do { _ = try await link.run { try await $0.createTask(create) } } catch let error as CoreError where error.code == .alreadyExists {}
        do {
            return try await link.run { client in
                do { return try await client.startTask(id) } catch let error as CoreError where error.code == .failedPrecondition {
                    // Started by a try whose answer was lost — unless it is an older run's, ended before this start.
                    let task = try await client.task(id)
                    guard task.status != .created, task.status != .stopped || task.exitedAt.date >= began else { throw error }
                    return task.pid
                }
            }
        } catch {
            _ = try? await link.run { try await $0.deleteTask(id) }
            throw error
        }
    }

    /// `json-file:///PATH?max-size=N&max-file=M` from docker's --log-opt max-size and max-file.
    static func logURI(path: String, options: [String: String]) -> String {
        var query: [String] = []
        if let size = options["max-size"], !size.isEmpty { query.append("max-size=\(size)") }
        if let files = options["max-file"], !files.isEmpty { query.append("max-file=\(files)") }
        return "json-file://" + path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// `journald://?socket=…&cache=<log path>&CONTAINER_ID=…`: docker's journald fields, and the
    /// json-file cache `logs` and attach read (docker's dual logging).
    func journalURI(_ stored: Engine_StoredContainer) -> String {
        let inspect = stored.inspect
        let fields = [("socket", config.journalSocket), ("cache", inspect.logPath),
                      ("CONTAINER_ID", String(inspect.id.prefix(12))), ("CONTAINER_ID_FULL", inspect.id),
                      ("CONTAINER_NAME", inspect.name), ("IMAGE_NAME", inspect.config.image),
                      ("SYSLOG_IDENTIFIER", inspect.hostConfig.logConfig.config["tag"] ?? String(inspect.id.prefix(12)))]
        return "journald://?" + fields.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    public func stop(_ reference: String, timeout: Int32?, signal: String) async throws {
        var stored = try store.resolve(reference)
        let id = stored.inspect.id
        // A policy restart under way finishes first (else it would record the container running
        // again over this stop), then the container it started is stopped like any other.
        while restartsInFlight.contains(id) { await awaitChange(id, deadline: ContinuousClock.now + .milliseconds(100)) }
        stored = try store.resolve(id)
        stored.manuallyStopped = true
        if stored.inspect.state.status == .restarting {  // a pending policy restart is cancelled
            stored.inspect.state.status = .exited
            stored.inspect.state.restarting = false
        }
        try await saveContainer(stored)
        guard isActive(stored) else { return }
        let name = signal.isEmpty ? (stored.inspect.config.stopSignal.isEmpty ? "SIGTERM" : stored.inspect.config.stopSignal) : signal
        guard let number = Signals.number(name) else { throw CoreError(.invalidArgument, "invalid signal: \(name)") }
        let seconds = timeout ?? (stored.inspect.config.hasStopTimeout ? stored.inspect.config.stopTimeout : 10)
        if stored.inspect.state.status == .paused { try? await link.run { try await $0.resume(id) } }
        try? await link.run { try await $0.kill(id, signal: number) }
        if seconds >= 0, await waitInactive(id, until: ContinuousClock.now + .seconds(Int(seconds))) { return }
        try await link.run { try await $0.kill(id, signal: SIGKILL, all: true) }
        guard await waitInactive(id, until: ContinuousClock.now + .seconds(30)) else {
            throw CoreError(.deadlineExceeded, "container \(id) did not exit within 30 seconds of SIGKILL")
        }
    }

    public func kill(_ reference: String, signal: String) async throws {
        var stored = try store.resolve(reference)
        let id = stored.inspect.id
        guard isActive(stored) else { throw CoreError(.failedPrecondition, "Container \(id) is not running") }
        let name = signal.isEmpty ? "SIGKILL" : signal
        guard let number = Signals.number(name) else { throw CoreError(.invalidArgument, "invalid signal: \(name)") }
        if number == SIGKILL || number == SIGTERM || number == SIGINT {
            stored.manuallyStopped = true
            try await saveContainer(stored)
        }
        try await link.run { try await $0.kill(id, signal: number) }
    }

    public func remove(_ reference: String, force: Bool, volumes removeVolumes: Bool = false) async throws {
        var stored = try store.resolve(reference)
        let id = stored.inspect.id
        if removalsInFlight.contains(id) { return }
        removalsInFlight.insert(id)
        defer { removalsInFlight.remove(id) }
        if isActive(stored) || stored.inspect.state.status == .restarting {
            guard force else {
                throw CoreError(.failedPrecondition, "You cannot remove a running container \(id). Stop the container before attempting removal or force remove")
            }
            stored.manuallyStopped = true
            stored.inspect.state.restarting = false
            try await saveContainer(stored)
            if isActive(stored) {
                try await link.run { try await $0.kill(id, signal: SIGKILL, all: true) }
                guard await waitInactive(id, until: ContinuousClock.now + .seconds(30)) else {
                    throw CoreError(.deadlineExceeded, "container \(id) did not exit within 30 seconds of SIGKILL")
                }
            }
            stored = try store.resolve(id)
        }
        stored.inspect.state.status = .removing
        try await saveContainer(stored)
        FaultInjection.hit("engine-remove-marked")
        try await link.run { client in
            _ = try? await client.deleteTask(id)
            do { try await client.deleteContainer(id) } catch let error as CoreError where error.code == .notFound {}
        }
        await disconnectNetworks(&stored)
        await forgetContainer(id)
        await releaseVolumes(of: stored, removeAnonymous: removeVolumes)
        releaseStdin(id)
        try? FileManager.default.removeItem(atPath: "\(config.execRoot)/containers/\(id)")
        restartDelays[id] = nil
        exits.removed(id)  // kept a while: a waiter may still want the last exit code
        notify(id)
        await events.publish(type: "container", action: "destroy", id: id, attributes: attributes(of: stored))
    }

    public func wait(_ reference: String, condition: Engine_WaitCondition) async throws -> Engine_WaitContainerResponse {
        let id = try store.resolve(reference).inspect.id
        let exitsAtStart = exits[id]?.count ?? 0
        var response = Engine_WaitContainerResponse()
        while true {
            let current = store.byID[id]
            response.statusCode = Int64(exits[id]?.code ?? current?.inspect.state.exitCode ?? 0)
            switch condition {
            case .notRunning:
                guard let current else { return response }
                let status = current.inspect.state.status
                if !isActive(current) && status != .restarting && status != .created { return response }
            case .nextExit:
                if (exits[id]?.count ?? 0) > exitsAtStart { return response }
                if current == nil { throw CoreError(.notFound, "No such container: \(reference)") }
            case .removed:
                if current == nil { return response }
            case .UNRECOGNIZED(let value):
                throw CoreError(.invalidArgument, "unknown wait condition \(value)")
            }
            await awaitChange(id)
        }
    }

    func isActive(_ stored: Engine_StoredContainer) -> Bool {
        stored.inspect.state.status == .running || stored.inspect.state.status == .paused
    }

    /// True once the container is not running (or gone); false if `deadline` passed first.
    func waitInactive(_ id: String, until deadline: ContinuousClock.Instant) async -> Bool {
        while true {
            guard let stored = store.byID[id], isActive(stored) else { return true }
            if ContinuousClock.now >= deadline { return false }
            await awaitChange(id, deadline: deadline)
        }
    }
}
