// ShimTaskService+Exec: processes added to a running container. Exec records the process (its
// OCI Process JSON saved in the bundle as `exec-<id>.json`, its stdio opened) and publishes
// TaskExecAdded; Start with its exec_id runs `runtime exec --process FILE --detach --pid-file`,
// after which the process is a child of the shim (the subreaper) and is reaped like the init,
// its exit recorded apart from the init's (`exec-<id>.exit`) and published as a TaskExit with
// id = exec_id. An exec's exit never ends the task; the init's TaskExit waits for every running
// exec's (shared notes §4: the init's exit is published last).
import Errdefs
import Glibc

extension ShimTaskService {
    /// How long the init's exit may be held back for a Start in flight or its execs' exits.
    static let execDrainLimitMilliseconds: Int64 = 5_000

    /// The task and, if `execID` is set, the exec it names.
    func lookup(_ id: String, execID: String) throws(CoreError) -> (InitTask, ExecProcess?) {
        let task = try requireTask(id)
        guard !execID.isEmpty else { return (task, nil) }
        guard let exec = task.execs[execID] else { throw CoreError(.notFound, "exec \(execID) not found: not found") }
        return (task, exec)
    }

    func execPath(_ task: InitTask, _ execID: String, _ suffix: String) -> String {
        "\(task.bundle)/exec-\(execID).\(suffix)"
    }

    func exec(_ request: ExecProcessRequest) throws(CoreError) -> CallOutcome {
        let task = try requireTask(request.id)
        let execID = request.execID
        guard !execID.isEmpty, !execID.contains("/"), execID != ".", execID != "..", execID.utf8.count <= 128 else {
            throw CoreError(.invalidArgument, "invalid exec id \"\(execID)\": invalid argument")
        }
        guard task.execs[execID] == nil else { throw CoreError(.alreadyExists, "id \(execID): already exists") }
        guard task.exit == nil, task.phase == .running || task.phase == .paused || task.phase == .created else {
            throw CoreError(.failedPrecondition, "cannot exec in a \(task.status) task: failed precondition")
        }
        guard let spec = request.spec, !spec.value.isEmpty else {
            throw CoreError(.invalidArgument, "exec \(execID) has no process spec: invalid argument")
        }
        try AtomicFile.write(spec.value, to: execPath(task, execID, "json"), mode: 0o600)
        let io: ContainerIO
        do {
            io = try ContainerIO(stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal,
                                 loop: loop, log: log)
        } catch {
            unlink(execPath(task, execID, "json"))
            throw error
        }
        task.execs[execID] = ExecProcess(execID: execID, spec: spec.value, request: request, io: io)
        publish(.execAdded(TaskExecEvent(containerID: task.id, execID: execID)))
        return Self.empty
    }

    func startExec(_ task: InitTask, _ exec: ExecProcess, _ token: ReplyToken) throws(CoreError) -> CallOutcome {
        guard !exec.started, !exec.starting, exec.exit == nil else {
            throw CoreError(.failedPrecondition, "exec \(exec.execID) was already started: failed precondition")
        }
        guard task.exit == nil, task.phase == .running else {
            throw CoreError(.failedPrecondition, "cannot start exec \(exec.execID) in a \(task.status) task: failed precondition")
        }
        exec.starting = true
        let pidFile = execPath(task, exec.execID, "pid")
        let arguments = ["exec", "--process", execPath(task, exec.execID, "json"), "--detach", "--pid-file", pidFile, task.id]
        runStarting(task.runtime, arguments, io: exec.io, terminal: exec.terminal) { [unowned self] result in
            exec.starting = false
            switch result.flatMap({ _ in Self.readPid(pidFile) }) {
            case .success(let pid):
                exec.pid = pid
                exec.started = true
                log.info("container \(task.id) exec \(exec.execID) started as pid \(pid)")
                publish(.execStarted(TaskExecEvent(containerID: task.id, execID: exec.execID, pid: UInt32(pid))))
                // After TaskExecStarted: an exec that is already gone is handled right here.
                supervisor.onExit(of: pid) { [weak self, weak task, weak exec] exit in
                    guard let self, let task, let exec else { return }
                    execExited(task, exec, exit)
                }
                answer(token, .success(PidResponse(pid: UInt32(pid))))
            case .failure(let error):
                exec.io?.close()
                exec.io = nil
                releaseInitExit(task)
                answer(token, Result<PidResponse, CoreError>.failure(error))
            }
        }
        return .pending
    }

    func execExited(_ task: InitTask, _ exec: ExecProcess, _ exit: ProcessExit) {
        exec.io?.drainOutput()
        let record = ExitRecord(exit)
        do {
            try record.write(to: execPath(task, exec.execID, "exit"))
        } catch {
            log.error("writing the exit record of exec \(exec.execID): \(error.message)")
        }
        log.info("container \(task.id) exec \(exec.execID) \(exit.pid) \(exit.status)")
        publish(.exit(TaskExitEvent(containerID: task.id, id: exec.execID, record)))
        exec.recordExit(record)
        releaseInitExit(task)
    }

    func killExec(_ exec: ExecProcess, signal: UInt32) throws(CoreError) -> CallOutcome {
        guard exec.exit == nil else { throw CoreError(.notFound, "process already finished: not found") }
        guard exec.started else {
            throw CoreError(.failedPrecondition, "exec \(exec.execID) has not been started: failed precondition")
        }
        // Not yet reaped, so the pid cannot have been reused.
        if signal != 0, Glibc.kill(exec.pid, Int32(signal)) != 0, errno != ESRCH {
            throw CoreError(SystemCallFailure(call: "kill", errno: errno))
        }
        return Self.empty
    }

    func deleteExec(_ task: InitTask, _ exec: ExecProcess) throws(CoreError) -> CallOutcome {
        guard exec.exit != nil || (!exec.started && !exec.starting) else {
            throw CoreError(.failedPrecondition, "cannot delete running exec \(exec.execID): failed precondition")
        }
        task.execs[exec.execID] = nil
        exec.io?.close()
        exec.io = nil
        for suffix in ["json", "pid", "exit"] { unlink(execPath(task, exec.execID, suffix)) }
        var response = DeleteResponse()
        response.pid = UInt32(exec.pid)
        response.exitStatus = exec.exit?.exitStatus ?? 0
        response.exitedAt = exec.exit?.exitedAt
        return Self.ok(response)
    }

    /// Closes what the task's execs still hold (the init is being deleted).
    func releaseExecs(_ task: InitTask) {
        for exec in task.execs.values {
            exec.io?.close()
            exec.io = nil
            for suffix in ["json", "pid", "exit"] { unlink(execPath(task, exec.execID, suffix)) }
        }
        task.execs = [:]
    }
}
