// Supervisor+Tasks: the Tasks service — each call finds the task's shim in the TaskTable and
// asks it, translating between berth.supervisor.v1 and containerd's shim Task messages. A task
// whose shim is gone still answers Get, Wait and Delete from the exit it left behind.
import API
import Errdefs
import Foundation
import RPC
import SwiftProtobuf

extension Supervisor {
    func registerTasks(on registry: inout ServiceRegistry) {
        let service = SupervisorAPI.tasks
        registry.unary(service, "Create") { [self] (request: Supervisor_CreateTaskRequest, context) in
            let ns = try Self.namespace(of: context)
            let container = try container(request.containerID, in: ns)
            var request = request
            if request.rootfs.isEmpty && !container.snapshotKey.isEmpty {
                request.rootfs = try rootfsMounts(of: container, namespace: ns)
            }
            let made = request
            return try await Self.completing { try await self.tasks.create(namespace: ns, container: container, request: made) }
        }
        registry.unary(service, "Start") { [self] (request: Supervisor_StartTaskRequest, context) in
            let client = try await tasks.client(try Self.namespace(of: context), request.containerID)
            var start = Containerd_Task_V2_StartRequest()
            start.id = request.containerID
            start.execID = request.execID
            var response = Supervisor_StartTaskResponse()
            let started = start
            response.pid = try await Self.completing { try await client.start(started, timeout: .seconds(60)).pid }
            (request.execID.isEmpty ? FaultPoint.startAfterShimStart : FaultPoint.execAfterShimStart).hit()
            return response
        }
        registry.unary(service, "Delete") { [self] (request: Supervisor_DeleteTaskRequest, context) in
            let ns = try Self.namespace(of: context)
            return try await Self.completing {
                try await self.tasks.delete(namespace: ns, id: request.containerID, execID: request.execID)
            }
        }
        registry.unary(service, "Kill") { [self] (request: Supervisor_KillTaskRequest, context) -> Google_Protobuf_Empty in
            let client = try await tasks.client(try Self.namespace(of: context), request.containerID)
            var kill = Containerd_Task_V2_KillRequest()
            kill.id = request.containerID
            kill.execID = request.execID
            kill.signal = request.signal
            kill.all = request.all
            return try await client.kill(kill, timeout: .seconds(30))
        }
        registry.unary(service, "Exec") { [self] (request: Supervisor_ExecProcessRequest, context) -> Google_Protobuf_Empty in
            let client = try await tasks.client(try Self.namespace(of: context), request.containerID)
            try Identifier.validate(request.execID, what: "exec id")
            var exec = Containerd_Task_V2_ExecProcessRequest()
            exec.id = request.containerID
            exec.execID = request.execID
            exec.stdin = request.stdin
            exec.stdout = request.stdout
            exec.stderr = request.stderr
            exec.terminal = request.terminal
            exec.spec = request.spec
            let made = try await client.exec(exec, timeout: .seconds(30))
            FaultPoint.execAfterShimExec.hit()
            return made
        }
        registry.unary(service, "Pause") { [self] (request: Supervisor_PauseTaskRequest, context) -> Google_Protobuf_Empty in
            let client = try await tasks.client(try Self.namespace(of: context), request.containerID)
            var pause = Containerd_Task_V2_PauseRequest()
            pause.id = request.containerID
            return try await client.pause(pause, timeout: .seconds(30))
        }
        registry.unary(service, "Resume") { [self] (request: Supervisor_ResumeTaskRequest, context) -> Google_Protobuf_Empty in
            let client = try await tasks.client(try Self.namespace(of: context), request.containerID)
            var resume = Containerd_Task_V2_ResumeRequest()
            resume.id = request.containerID
            return try await client.resume(resume, timeout: .seconds(30))
        }
        registry.unary(service, "ListPids") { [self] (request: Supervisor_ListPidsRequest, context) in
            let client = try await tasks.client(try Self.namespace(of: context), request.containerID)
            var pids = Containerd_Task_V2_PidsRequest()
            pids.id = request.containerID
            var response = Supervisor_ListPidsResponse()
            response.processes = try await client.pids(pids, timeout: .seconds(30)).processes
            return response
        }
        registry.unary(service, "Wait") { [self] (request: Supervisor_WaitTaskRequest, context) in
            let entry = try await tasks.entry(try Self.namespace(of: context), request.containerID)
            var response = Supervisor_WaitTaskResponse()
            if let client = entry.client {
                var wait = Containerd_Task_V2_WaitRequest()
                wait.id = request.containerID
                wait.execID = request.execID
                do {
                    let waited = try await client.wait(wait)
                    response.exitStatus = waited.exitStatus
                    response.exitedAt = waited.exitedAt
                } catch let error as CoreError where error.code == .unavailable && request.execID.isEmpty {
                    // The shim died during the wait: answer with the exit its cleanup reports.
                    return try await exitAfterShimLoss(namespace: entry.namespace, id: entry.id, error)
                }
            } else if let exit = entry.finalExit, request.execID.isEmpty {
                response.exitStatus = exit.status
                response.exitedAt = exit.at
                response.exitReason = exit.reason
            } else if request.execID.isEmpty {
                // The shim is gone and its cleanup is still under way: its exit comes shortly.
                return try await exitAfterShimLoss(namespace: entry.namespace, id: entry.id,
                                                   CoreError(.notFound, "task \(request.containerID): its shim is gone"))
            } else {
                throw CoreError(.notFound, "exec \(request.execID) of \(request.containerID): its shim is gone")
            }
            return response
        }
        registry.unary(service, "Get") { [self] (request: Supervisor_GetTaskRequest, context) in
            let entry = try await tasks.entry(try Self.namespace(of: context), request.containerID)
            var response = Supervisor_GetTaskResponse()
            response.process = try await process(of: entry, execID: request.execID)
            return response
        }
        registry.unary(service, "List") { [self] (_: Supervisor_ListTasksRequest, context) in
            var response = Supervisor_ListTasksResponse()
            for entry in await tasks.tasks(in: try Self.namespace(of: context)) {
                do {
                    response.tasks.append(try await process(of: entry, execID: ""))
                } catch {  // one task's shim not answering must not hide every other task
                    var unknown = entry.process
                    unknown.id = entry.id
                    unknown.status = .unknown
                    response.tasks.append(unknown)
                }
            }
            return response
        }
        registry.unary(service, "ResizePty") { [self] (request: Supervisor_ResizePtyRequest, context) -> Google_Protobuf_Empty in
            let client = try await tasks.client(try Self.namespace(of: context), request.containerID)
            var resize = Containerd_Task_V2_ResizePtyRequest()
            resize.id = request.containerID
            resize.execID = request.execID
            resize.width = request.width
            resize.height = request.height
            return try await client.resizePty(resize, timeout: .seconds(30))
        }
        registry.unary(service, "CloseIO") { [self] (request: Supervisor_CloseIORequest, context) -> Google_Protobuf_Empty in
            let client = try await tasks.client(try Self.namespace(of: context), request.containerID)
            var close = Containerd_Task_V2_CloseIORequest()
            close.id = request.containerID
            close.execID = request.execID
            close.stdin = request.stdin
            return try await client.closeIO(close, timeout: .seconds(30))
        }
        registry.unary(service, "Metrics") { [self] (request: Supervisor_MetricsRequest, context) in
            let ns = try Self.namespace(of: context)
            let wanted = Set(request.filters.compactMap { $0.hasPrefix("id==") ? String($0.dropFirst(4)) : nil })
            var response = Supervisor_MetricsResponse()
            for entry in await tasks.tasks(in: ns) where wanted.isEmpty || wanted.contains(entry.id) {
                guard let client = entry.client else { continue }
                var stats = Containerd_Task_V2_StatsRequest()
                stats.id = entry.id
                guard let result = try? await client.stats(stats, timeout: .seconds(10)) else { continue }
                var metric = Supervisor_Metric()
                metric.timestamp = Google_Protobuf_Timestamp(date: Date())
                metric.id = entry.id
                metric.data = result.stats
                response.metrics.append(metric)
            }
            return response
        }
    }

    /// Waits (up to 10 s) for the cleanup of a lost shim to record the init's exit.
    func exitAfterShimLoss(namespace: String, id: String, _ error: CoreError) async throws -> Supervisor_WaitTaskResponse {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            guard let entry = try? await tasks.entry(namespace, id) else { break }
            if let exit = entry.finalExit {
                var response = Supervisor_WaitTaskResponse()
                response.exitStatus = exit.status
                response.exitedAt = exit.at
                response.exitReason = exit.reason
                return response
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw error
    }

    /// Runs a call that changes state to its end even if the caller hangs up: a cancelled
    /// Delete could otherwise stop after the shim deleted the container but before the task
    /// table forgot it, leaving a task no shim knows.
    static func completing<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task { try await body() }.value
    }

    /// The state of the init (`execID` empty) or an exec, from the shim or from the exit it left.
    func process(of entry: TaskEntry, execID: String) async throws -> Supervisor_Process {
        var process = entry.process
        guard let client = entry.client else {
            guard execID.isEmpty else { throw CoreError(.notFound, "exec \(execID) of \(entry.id): its shim is gone") }
            guard let exit = entry.finalExit else {  // the shim is gone, its cleanup still under way
                process.status = .unknown
                return process
            }
            process.status = .stopped
            process.exitStatus = exit.status
            process.exitedAt = exit.at
            process.exitReason = exit.reason
            return process
        }
        var request = Containerd_Task_V2_StateRequest()
        request.id = entry.id
        request.execID = execID
        let state = try await client.state(request, timeout: .seconds(10))
        process.id = execID.isEmpty ? entry.id : execID
        process.pid = state.pid
        process.status = state.status
        process.stdin = state.stdin
        process.stdout = state.stdout
        process.stderr = state.stderr
        process.terminal = state.terminal
        process.exitStatus = state.exitStatus
        process.exitedAt = state.exitedAt
        return process
    }
}
