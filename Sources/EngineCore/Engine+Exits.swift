// Engine+Exits: what happens when a container's process ends, and at engine start. Each running
// container has a watcher awaiting its task's exit through the supervisor (a supervisor restart
// only delays it). An exit is recorded, the stopped task deleted, then the restart policy decides
// (docker's backoff: 100 ms doubling, reset after 10 s of running) or --rm removes it. At start
// the engine re-reads its records and asks the supervisor about every container it thought
// running: those still running are watched again (live restore), those that exited while it was
// down get their recorded exit status.
import API
import Errdefs
import Foundation
import SwiftProtobuf
import Sys

extension Engine {
    /// Awaits the exit of `id`'s task and records it.
    func watch(_ id: String) {
        Task {
            do {
                let exit = try await link.run { try await $0.wait(id) }
                await exited(id, code: Int32(truncatingIfNeeded: exit.exitStatus), at: exit.exitedAt.date, error: Self.exitError(exit.exitReason))
            } catch let error as CoreError where error.code == .notFound {
                await exited(id, code: 255, at: Date(), error: "the container's task is gone: \(error.message)")
            } catch {
                logger.error("lost track of a container's exit; retrying", metadata: ["id": "\(id)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
                await rewatch(id)
            }
        }
    }

    /// State.Error for an exit the supervisor explains (a task whose shim died), else empty.
    static func exitError(_ reason: String) -> String {
        reason.isEmpty ? "" : "the container's task ended abnormally: \(reason)"
    }

    private func rewatch(_ id: String) {
        guard let stored = store.byID[id], isActive(stored) else { return }
        watch(id)
    }

    func exited(_ id: String, code firstCode: Int32, at firstAt: Date, error firstError: String) async {
        guard var stored = store.byID[id], isActive(stored) else { return }
        let run = stored.inspect.state.startedAt
        // Recorded before the task is deleted: the exit must outlive an engine crash in between.
        // A second report of the same exit (restore and a watch racing) keeps the first.
        if !stored.hasPendingExit {
            stored.pendingExit = .with {
                $0.code = firstCode
                $0.at = Google_Protobuf_Timestamp(date: firstAt)
                $0.error = firstError
            }
            do { try await saveContainer(stored) } catch {
                logger.error("cannot record an exit", metadata: ["id": "\(id)", "error": "\(error)"])
            }
        }
        let code = stored.pendingExit.code, at = stored.pendingExit.at.date, error = stored.pendingExit.error
        _ = try? await link.run { try await $0.deleteTask(id) }
        FaultInjection.hit("engine-exit-task-deleted")  // the window pending_exit covers: the task gone, the exit not yet final
        // Removed, recorded by a racing report, or already running again: not ours to record.
        guard let current = store.byID[id], isActive(current), current.inspect.state.startedAt == run else { return }
        stored = current
        stored.clearPendingExit()
        await disconnectNetworks(&stored)
        // A `stop` or `rm` may have come while the network was released: its word counts.
        guard let latest = store.byID[id] else { return }
        stored.manuallyStopped = latest.manuallyStopped
        let ranFor = at.timeIntervalSince(stored.inspect.state.startedAt.date)
        stored.inspect.state.status = .exited
        stored.inspect.state.running = false
        stored.inspect.state.paused = false
        stored.inspect.state.pid = 0
        stored.inspect.state.exitCode = code
        stored.inspect.state.error = error
        stored.inspect.state.finishedAt = Google_Protobuf_Timestamp(date: at)
        let restart = shouldRestart(stored)
        if restart {
            stored.inspect.state.status = .restarting
            stored.inspect.state.restarting = true
        }
        do { try await saveContainer(stored) } catch {
            logger.error("cannot record an exit", metadata: ["id": "\(id)", "error": "\(error)"])
        }
        exits.record(id, code: code)
        notify(id)
        var attributes = attributes(of: stored)
        attributes["exitCode"] = "\(code)"
        await events.publish(type: "container", action: "die", id: id, attributes: attributes)
        logger.info("container exited", metadata: ["id": "\(id)", "code": "\(code)", "restart": "\(restart)"])
        if restart {
            let delay = ranFor >= 10 ? Duration.milliseconds(100) : (restartDelays[id] ?? .milliseconds(100))
            restartDelays[id] = min(delay * 2, .seconds(60))
            scheduleRestart(id, after: delay)
        } else if stored.inspect.hostConfig.autoRemove {
            do { try await remove(id, force: false, volumes: true) } catch {
                logger.error("cannot auto-remove a container", metadata: ["id": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Docker's restart policies: always; unless-stopped (not after a user's stop); on-failure[:N].
    func shouldRestart(_ stored: Engine_StoredContainer) -> Bool {
        let policy = stored.inspect.hostConfig.restartPolicy
        guard !stored.manuallyStopped else { return false }
        switch policy.name {
        case "always", "unless-stopped": return true
        case "on-failure":
            guard stored.inspect.state.exitCode != 0 else { return false }
            return policy.maximumRetryCount == 0 || stored.inspect.restartCount < policy.maximumRetryCount
        default: return false
        }
    }

    private func scheduleRestart(_ id: String, after delay: Duration) {
        Task {
            try? await Task.sleep(for: delay)
            await restartByPolicy(id)
        }
    }

    private func restartByPolicy(_ id: String) async {
        guard var stored = store.byID[id], stored.inspect.state.status == .restarting, !stored.manuallyStopped else { return }
        restartsInFlight.insert(id)
        defer {
            restartsInFlight.remove(id)
            notify(id)
        }
        stored.inspect.restartCount += 1
        do {
            try await startTask(&stored)
            await events.publish(type: "container", action: "restart", id: id, attributes: attributes(of: stored))
        } catch {
            logger.error("policy restart failed", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// Records as running a container whose task was started by a `start` the engine died in
    /// before saving it (else a second `start` would run it again), then watches it, or
    /// records the exit it already had.
    private func adoptStarted(_ stored: Engine_StoredContainer, _ task: Supervisor_Process) async {
        var stored = stored
        let id = stored.inspect.id
        logger.warning("adopting a task started just before a crash", metadata: ["id": "\(id)", "status": "\(task.status)"])
        stored.inspect.state.status = .running
        stored.inspect.state.running = true
        stored.inspect.state.restarting = false
        stored.inspect.state.pid = task.pid
        stored.inspect.state.exitCode = 0
        stored.inspect.state.error = ""
        stored.inspect.state.startedAt = Google_Protobuf_Timestamp(date: Date())
        adoptNetworking(&stored)
        do { try await saveContainer(stored) } catch {
            logger.error("cannot record a container running", metadata: ["id": "\(id)", "error": "\(error)"])
            return
        }
        if task.status == .stopped {
            await exited(id, code: Int32(truncatingIfNeeded: task.exitStatus), at: task.exitedAt.date, error: Self.exitError(task.exitReason))
        } else {
            watch(id)
        }
    }

    // MARK: restore

    /// Loads the records and reconciles them with the supervisor's tasks (live restore).
    public func restore() async {
        for error in store.load() { logger.error("unreadable container record", metadata: ["error": "\(error)"]) }
        restoreNetworks()
        await startNameServers()
        var tasks: [String: Supervisor_Process]?
        for attempt in 1...3 where tasks == nil {
            do {
                tasks = Dictionary(try await link.run { try await $0.listTasks() }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            } catch {
                logger.error("cannot list the supervisor's tasks", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        for (id, stored) in store.byID {
            switch stored.inspect.state.status {
            case .running, .paused:
                guard let tasks else {  // no list: each container's own wait finds out (an exit, or "gone")
                    watch(id)
                    continue
                }
                // A list can miss a task (one being created for another client as it was taken):
                // ask for it by id before calling it gone.
                var task = tasks[id]
                if task == nil { task = try? await link.run { try await $0.task(id) } }
                if let task, [.running, .paused, .pausing, .unknown].contains(task.status) {
                    logger.info("container still running", metadata: ["id": "\(id)", "pid": "\(task.pid)"])
                    watch(id)
                } else if let task, task.status == .stopped {
                    await exited(id, code: Int32(truncatingIfNeeded: task.exitStatus), at: task.exitedAt.date, error: Self.exitError(task.exitReason))
                } else {  // (an exit recorded as pending before a crash wins over this: see `exited`)
                    await exited(id, code: 255, at: Date(), error: "the container's task was gone when the engine started")
                }
            case .created, .exited:
                // A start the engine died in: the task started, the record never said so. (A
                // stopped task that ended before the recorded finish is an old run's, left by a
                // failed delete: the next start deletes it.)
                // A task only created (the crash came before its start) is deleted by the next start.
                if var task = tasks?[id], task.status != .created {
                    for _ in 1...5 where task.status == .unknown {  // its shim did not answer the list: ask it
                        try? await Task.sleep(for: .milliseconds(200))
                        if let again = try? await link.run({ try await $0.task(id) }) { task = again }
                    }
                    if [.running, .paused, .pausing].contains(task.status) || task.status == .stopped
                        && (stored.inspect.state.status == .created
                            || task.exitedAt.date > stored.inspect.state.finishedAt.date.addingTimeInterval(0.001)) {
                        await adoptStarted(stored, task)
                    }
                }
            case .restarting:
                scheduleRestart(id, after: .milliseconds(100))
            case .removing:
                try? await remove(id, force: true)
            case .exited where !stored.manuallyStopped && ["always", "unless-stopped"].contains(stored.inspect.hostConfig.restartPolicy.name):
                var restarting = stored
                restarting.inspect.state.status = .restarting
                try? await saveContainer(restarting)
                scheduleRestart(id, after: .milliseconds(0))
            default:
                break
            }
        }
        await reapNetworks()
    }
}
