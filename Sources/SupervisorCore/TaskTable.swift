// TaskTable: every task of every namespace and the shim that runs it. Create makes the bundle
// (`<state>/<ns>/<id>`: config.json from the container's spec, an empty rootfs for the shim to
// mount into), starts the container's shim through the binary contract and creates the task
// over ttrpc; every later call goes to that shim. At start-up `restore` finds each bundle again,
// reconnects to its shim through `address`, and for a shim that is gone runs `shim delete` and
// keeps the exit it reports, so a task is never lost and its exit status never either.
import API
import Errdefs
import Foundation
import Logging
import RPCNIO
import Sys
import SwiftProtobuf

public actor TaskTable {
    struct Key: Hashable { var namespace: String, id: String }

    private var entries: [Key: TaskEntry] = [:]
    /// Init deletes under way: a second Delete of the same task waits for the first one's answer.
    private var deletions: [Key: Task<Supervisor_DeleteTaskResponse, any Error>] = [:]
    /// Shim losses being handled (reconnect, or `shim delete` and the exit it reports).
    private var losses: [Key: Task<Void, Never>] = [:]
    /// Tasks whose shim and bundle are being discarded: their closing connection is no loss.
    private var discarding: Set<Key> = []
    private let stateDirectory: String
    private let launcher: ShimLauncher
    private let shims: ShimResolver
    private let logger: Logger
    private let shimLogs: ShimLogCollector
    /// Told when a shim dies under a running supervisor, with the exit `shim delete` reported.
    private var onShimLost: (@Sendable (TaskEntry) async -> Void)?

    func setShimLostHandler(_ handler: @escaping @Sendable (TaskEntry) async -> Void) { onShimLost = handler }

    public init(stateDirectory: String, launcher: ShimLauncher, shims: ShimResolver, logger: Logger) {
        self.stateDirectory = stateDirectory
        self.launcher = launcher
        self.shims = shims
        self.logger = logger
        shimLogs = ShimLogCollector(logger: logger)
    }

    func bundle(_ namespace: String, _ id: String) -> String { "\(stateDirectory)/\(namespace)/\(id)" }

    // MARK: create and delete

    public func create(namespace: String, container: Supervisor_Container,
                       request: Supervisor_CreateTaskRequest) async throws -> Supervisor_CreateTaskResponse {
        let key = Key(namespace: namespace, id: container.id)
        guard entries[key] == nil else {
            throw CoreError(.alreadyExists, "task \(container.id) already exists in namespace \(namespace)")
        }
        let shim = try request.runtimePath.isEmpty ? shims.resolve(container.runtime.name) : request.runtimePath
        let bundle = bundle(namespace, container.id)
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o711])
        var process = Supervisor_Process()
        process.containerID = container.id
        process.id = container.id
        process.stdin = request.stdin
        process.stdout = request.stdout
        process.stderr = request.stderr
        process.terminal = request.terminal
        var entry = TaskEntry(namespace: namespace, id: container.id, bundle: bundle, shim: shim, process: process)
        entries[key] = entry  // reserves the id while the shim starts
        do {
            try Data(container.spec.value).write(to: URL(fileURLWithPath: bundle + "/config.json"))
            try entry.save()
            shimLogs.collect(bundle: bundle, namespace: namespace, id: container.id)
            FaultPoint.createBeforeShim.hit()
            let socket = try await launcher.start(shim: shim, namespace: namespace, id: container.id, bundle: bundle)
            let connection = try await RPCClient.connect(path: socket)
            watch(connection, key)
            entry.connection = connection
            entry.client = TaskClient(rpc: connection, namespace: namespace)
            entries[key] = entry
            FaultPoint.createAfterShimStart.hit()
            var create = Containerd_Task_V2_CreateTaskRequest()
            create.id = container.id
            create.bundle = bundle
            create.rootfs = request.rootfs
            create.stdin = request.stdin
            create.stdout = request.stdout
            create.stderr = request.stderr
            create.terminal = request.terminal
            let options = request.hasOptions ? request.options : container.runtime.options
            if !options.typeURL.isEmpty { create.options = options }
            let created = try await entry.client!.create(create, timeout: .seconds(60))
            entry.mark(TaskEntry.createdMarker)
            FaultPoint.createAfterCreate.hit()
            var response = Supervisor_CreateTaskResponse()
            response.containerID = container.id
            response.pid = created.pid
            logger.info("task created", metadata: ["namespace": "\(namespace)", "id": "\(container.id)", "pid": "\(created.pid)"])
            return response
        } catch {
            await remove(key, failedCreate: true)
            throw error
        }
    }

    /// Deletes the init (removing the task, its shim and its bundle) or one exec process. A Delete
    /// of an init already being deleted waits for that one and gets its answer.
    public func delete(namespace: String, id: String, execID: String) async throws -> Supervisor_DeleteTaskResponse {
        let key = Key(namespace: namespace, id: id)
        guard execID.isEmpty else { return try await deleteExec(key, execID) }
        if let deletion = deletions[key] { return try await deletion.value }
        guard entries[key] != nil else { throw Self.noTask(namespace, id) }
        let deletion = Task { try await self.deleteInit(key) }
        deletions[key] = deletion
        return try await deletion.value
    }

    private func deleteExec(_ key: Key, _ execID: String) async throws -> Supervisor_DeleteTaskResponse {
        guard let entry = entries[key] else { throw Self.noTask(key.namespace, key.id) }
        guard let client = entry.client else { throw CoreError(.notFound, "exec \(execID) of \(key.id): its shim is gone") }
        var request = Containerd_Task_V2_DeleteRequest()
        request.id = key.id
        request.execID = execID
        let deleted = try await client.delete(request, timeout: .seconds(60))
        var response = Supervisor_DeleteTaskResponse()
        response.id = execID
        response.pid = deleted.pid
        response.exitStatus = deleted.exitStatus
        response.exitedAt = deleted.exitedAt
        return response
    }

    /// The init's delete: its exit from the shim (or the one a lost shim left), then the shim and
    /// the bundle go, and only then the task leaves the table — until the bundle is gone the task
    /// is still there for a container Delete to refuse and a Create to find.
    private func deleteInit(_ key: Key) async throws -> Supervisor_DeleteTaskResponse {
        defer { deletions[key] = nil }
        guard let entry = entries[key] else { throw Self.noTask(key.namespace, key.id) }
        entry.mark(TaskEntry.deletingMarker)
        var response = Supervisor_DeleteTaskResponse()
        response.id = key.id
        do {
            (response.pid, response.exitStatus, response.exitedAt) = try await initExit(key)
        } catch {
            // Refused (still running, say): the task stays, so must the restart's view of it.
            unlink("\(entry.bundle)/\(TaskEntry.deletingMarker)")
            throw error
        }
        FaultPoint.deleteAfterShimDelete.hit()
        // From here the task is stopped with this exit, and calls no longer reach its shim.
        let live = entries[key]
        entries[key]?.client = nil
        entries[key]?.connection = nil
        entries[key]?.finalExit = (response.exitStatus, response.exitedAt, live?.finalExit?.reason ?? "")
        await remove(key, live)
        logger.info("task deleted", metadata: ["namespace": "\(key.namespace)", "id": "\(key.id)", "exit": "\(response.exitStatus)"])
        return response
    }

    /// The init's exit as the shim's Delete reports it. When its shim is gone — found so, or dying
    /// under the call — the exit `shim delete` reported, once the loss has been handled.
    private func initExit(_ key: Key) async throws -> (pid: UInt32, status: UInt32, at: Google_Protobuf_Timestamp) {
        if let loss = losses[key] { await loss.value }
        guard let entry = entries[key] else { throw Self.noTask(key.namespace, key.id) }
        if let client = entry.client, let connection = entry.connection {
            var request = Containerd_Task_V2_DeleteRequest()
            request.id = key.id
            do {
                let deleted = try await client.delete(request, timeout: .seconds(60))
                return (deleted.pid, deleted.exitStatus, deleted.exitedAt)
            } catch {
                guard !connection.isOpen else { throw error }
                await connectionClosed(key, connection)  // the shim died under the call
                guard entries[key]?.finalExit != nil else { throw error }
            }
        }
        guard let exit = entries[key]?.finalExit else {
            throw CoreError(.unavailable, "task \(key.id): its shim is gone and its exit could not be read")
        }
        return (0, exit.status, exit.at)
    }

    /// Discards the task's shim and bundle, then frees its id. A shim loss being handled is let
    /// finish first; its closing connection (shutdown closes it) is no loss.
    private func remove(_ key: Key, _ entry: TaskEntry? = nil, failedCreate: Bool = false) async {
        discarding.insert(key)
        if let loss = losses[key] { await loss.value }
        if let entry = entry ?? entries[key] { await discard(entry, failedCreate: failedCreate) }
        discarding.remove(key)
        entries[key] = nil
        if entries.isEmpty { entries = [:] }  // the last task gone: give back the table a busy spell grew
    }

    /// Shuts the shim down (if still connected) and removes the bundle. After a failed create,
    /// `shim delete` also runs: the shim may have died half-way (leaving a created container in
    /// the runtime and the rootfs mounted), and the binary's delete removes both.
    private func discard(_ entry: TaskEntry, failedCreate: Bool = false) async {
        if let client = entry.client {
            var shutdown = Containerd_Task_V2_ShutdownRequest()
            shutdown.id = entry.id
            _ = try? await client.shutdown(shutdown, timeout: .seconds(5))
        }
        await entry.connection?.close()
        await waitForShimExit(entry)
        shimLogs.forget(namespace: entry.namespace, id: entry.id)
        await FaultPoint.discardBeforeRemove.pause()
        if failedCreate {
            _ = try? await launcher.delete(shim: entry.shim, namespace: entry.namespace, id: entry.id, bundle: entry.bundle)
        }
        umount2(entry.bundle + "/rootfs", Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: entry.bundle)
    }

    /// Waits (up to 3 s, then SIGKILL) until the shim has gone: a shim removes its socket as it
    /// exits, and a new task with the same id must not find the old shim still serving there. A
    /// shim that died without removing it (SIGKILL) ends the wait at once: its socket is unlinked.
    private func waitForShimExit(_ entry: TaskEntry) async {
        guard let socket = entry.socketPath else { return }
        let pid = (try? String(contentsOfFile: "\(entry.bundle)/shim.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }.flatMap { $0 > 1 ? $0 : nil }
        let alive = { pid.map { kill($0, 0) == 0 || errno != ESRCH } ?? true }
        let deadline = ContinuousClock.now + .seconds(3)
        while access(socket, F_OK) == 0 && alive() && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
        guard access(socket, F_OK) == 0 else { return }
        if let pid, alive() {
            logger.warning("shim did not exit after shutdown; killing it", metadata: ["id": "\(entry.id)", "pid": "\(pid)"])
            kill(pid, SIGKILL)
        }
        unlink(socket)
    }

    /// Notices a shim connection closing while its task is still ours: the shim died.
    private func watch(_ connection: RPCClient, _ key: Key) {
        connection.closed.whenComplete { [weak self] _ in
            Task { await self?.connectionClosed(key, connection) }
        }
    }

    /// A shim connection closed under a task we still hold and are not discarding: handled once,
    /// and whoever else finds the shim gone (a Delete) waits for that handling.
    private func connectionClosed(_ key: Key, _ connection: RPCClient) async {
        if let loss = losses[key] { return await loss.value }
        guard !discarding.contains(key), entries[key]?.connection === connection else { return }
        let loss = Task { await self.shimLost(key, connection) }
        losses[key] = loss
        await loss.value
    }

    /// Unless the shim still answers (then reconnect), it is gone — `shim delete` cleans up, and
    /// the task becomes stopped with the exit that reports, which `onShimLost` publishes.
    private func shimLost(_ key: Key, _ connection: RPCClient) async {
        defer { losses[key] = nil }
        guard var entry = entries[key], entry.connection === connection else { return }
        if let socket = entry.socketPath, let again = try? await RPCClient.connect(path: socket) {
            let client = TaskClient(rpc: again, namespace: key.namespace)
            var connect = Containerd_Task_V2_ConnectRequest()
            connect.id = key.id
            if (try? await client.connect(connect, timeout: .seconds(5))) != nil, entries[key]?.connection === connection {
                watch(again, key)
                entry.connection = again
                entry.client = client
                entries[key] = entry
                return
            }
            await again.close()
        }
        guard entries[key]?.connection === connection else { return }
        entry.connection = nil
        entry.client = nil
        entries[key] = entry  // calls now see "shim gone" while the cleanup runs
        await FaultPoint.shimLostBeforeDelete.pause()
        let exit = await exitOfGoneShim(entry)
        guard entries[key] != nil, !discarding.contains(key) else { return }
        entry.finalExit = exit
        entries[key] = entry
        logger.error("shim died; task stopped", metadata: ["namespace": "\(key.namespace)", "id": "\(key.id)", "exit": "\(exit.status)"])
        await onShimLost?(entry)
    }

    // MARK: calls passed to the shim

    /// The live client of the shim running `id`; FailedPrecondition when that shim is gone.
    func client(_ namespace: String, _ id: String) throws(CoreError) -> TaskClient {
        let key = Key(namespace: namespace, id: id)
        guard let entry = entries[key] else { throw Self.noTask(namespace, id) }
        if deletions[key] != nil { throw CoreError(.failedPrecondition, "task \(id) is being deleted") }
        guard let client = entry.client else {
            throw CoreError(.failedPrecondition, "task \(id) has stopped: its shim is gone; delete it")
        }
        return client
    }

    func entry(_ namespace: String, _ id: String) throws(CoreError) -> TaskEntry {
        guard let entry = entries[Key(namespace: namespace, id: id)] else { throw Self.noTask(namespace, id) }
        return entry
    }

    func hasTask(_ namespace: String, _ id: String) -> Bool { entries[Key(namespace: namespace, id: id)] != nil }

    func tasks(in namespace: String) -> [TaskEntry] {
        entries.values.filter { $0.namespace == namespace }.sorted { $0.id < $1.id }
    }

    func namespacesInUse() -> Set<String> { Set(entries.keys.map(\.namespace)) }

    static func noTask(_ namespace: String, _ id: String) -> CoreError {
        CoreError(.notFound, "no task \(id) in namespace \(namespace)")
    }

    // MARK: restart

    /// Finds every task left in the state directory: reconnects to live shims, and for those that
    /// are gone cleans up through `shim delete` and keeps the exit it reports.
    public func restore() async {
        let fm = FileManager.default
        for namespace in ((try? fm.contentsOfDirectory(atPath: stateDirectory)) ?? []).sorted() {
            let dir = "\(stateDirectory)/\(namespace)"
            for id in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() {
                let bundle = "\(dir)/\(id)"
                let lock = await lockBundle(bundle)
                defer { lock?.release() }
                guard var entry = TaskEntry.load(namespace: namespace, id: id, bundle: bundle) else {
                    // A create that died before its task was recorded: nothing started, remove it.
                    logger.warning("removing an unfinished bundle", metadata: ["bundle": "\(bundle)"])
                    umount2(bundle + "/rootfs", Int32(MNT_DETACH))
                    try? fm.removeItem(atPath: bundle)
                    continue
                }
                shimLogs.collect(bundle: bundle, namespace: namespace, id: id)
                if !entry.hasMark(TaskEntry.createdMarker) || entry.hasMark(TaskEntry.deletingMarker) {
                    // Interrupted create (the client never got its task) or delete (the client
                    // asked for it to go): either way the task must not exist. Finish the job.
                    logger.warning("finishing an interrupted create or delete", metadata: ["namespace": "\(namespace)", "id": "\(id)"])
                    await abandon(entry)
                    continue
                }
                if let socket = entry.socketPath, let connection = try? await RPCClient.connect(path: socket) {
                    let client = TaskClient(rpc: connection, namespace: namespace)
                    var connect = Containerd_Task_V2_ConnectRequest()
                    connect.id = id
                    if (try? await client.connect(connect, timeout: .seconds(5))) != nil {
                        watch(connection, Key(namespace: namespace, id: id))
                        entry.connection = connection
                        entry.client = client
                        entries[Key(namespace: namespace, id: id)] = entry
                        logger.info("re-attached to shim", metadata: ["namespace": "\(namespace)", "id": "\(id)"])
                        continue
                    }
                    await connection.close()
                }
                entry.finalExit = await exitOfGoneShim(entry)
                entries[Key(namespace: namespace, id: id)] = entry
                logger.warning("shim gone; task stopped", metadata: ["namespace": "\(namespace)", "id": "\(id)",
                                                                     "exit": "\(entry.finalExit!.status)"])
            }
        }
    }

    /// The bundle's DirectoryLock, once a `shim start` the previous supervisor left running has
    /// finished (it holds the lock throughout); nil, after a warning, if that takes over 10 s.
    private func lockBundle(_ bundle: String) async -> DirectoryLock? {
        let deadline = ContinuousClock.now + .seconds(10)
        repeat {
            do {
                if let lock = try DirectoryLock.tryAcquire(bundle) { return lock }
            } catch {
                logger.warning("cannot lock bundle", metadata: ["bundle": "\(bundle)", "error": "\(error)"])
                return nil
            }
            try? await Task.sleep(for: .milliseconds(5))
        } while ContinuousClock.now < deadline
        logger.warning("a shim start still holds the bundle after 10 s; going on", metadata: ["bundle": "\(bundle)"])
        return nil
    }

    /// Removes every trace of a task whose create or delete was interrupted: the shim (told to
    /// shut down if it answers), the runtime's container and the rootfs mount (`shim delete`),
    /// the bundle.
    private func abandon(_ entry: TaskEntry) async {
        var entry = entry
        if let socket = entry.socketPath, let connection = try? await RPCClient.connect(path: socket) {
            entry.connection = connection
            entry.client = TaskClient(rpc: connection, namespace: entry.namespace)
            var delete = Containerd_Task_V2_DeleteRequest()
            delete.id = entry.id
            _ = try? await entry.client!.delete(delete, timeout: .seconds(30))
        }
        await discard(entry, failedCreate: true)
    }

    /// The init's exit when its shim is gone: what `shim delete` reports (it also kills and
    /// removes what is left of the container and unmounts its rootfs), else 255 now. Unless the
    /// shim had recorded the init's exit (`init.exit`) before it went, the init was still running
    /// and `shim delete` killed it: the reason says so.
    private func exitOfGoneShim(_ entry: TaskEntry) async -> (status: UInt32, at: Google_Protobuf_Timestamp, reason: String) {
        let recorded = access("\(entry.bundle)/init.exit", F_OK) == 0
        let reason = recorded ? "" : "its shim (\(URL(fileURLWithPath: entry.shim).lastPathComponent)) died; the task was killed"
        if let deleted = try? await launcher.delete(shim: entry.shim, namespace: entry.namespace, id: entry.id, bundle: entry.bundle) {
            return (deleted.exitStatus, deleted.hasExitedAt ? deleted.exitedAt : Google_Protobuf_Timestamp(date: Date()), reason)
        }
        return (255, Google_Protobuf_Timestamp(date: Date()), recorded ? "its shim died and its exit could not be read" : reason)
    }
}
