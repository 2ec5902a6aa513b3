// ShimTaskService+Lifecycle: Create, Start, Kill, Pause/Resume and Delete of the container's
// init through the runtime, and the init's exit: output drained, exit record written durably to
// the bundle, and only then Wait answered (and, later, TaskExit published).
import Errdefs
import Glibc
import Sys

extension ShimTaskService {
    func create(_ request: CreateTaskRequest, _ token: ReplyToken) throws(CoreError) -> CallOutcome {
        if let task { throw CoreError(.alreadyExists, "container \(task.id): already exists") }
        guard !request.id.isEmpty else { throw CoreError(.invalidArgument, "id is required: invalid argument") }
        guard request.checkpoint.isEmpty else { throw CoreError(.unimplemented, "checkpoint restore is not supported") }
        let bundle = request.bundle.isEmpty ? config.bundle : request.bundle
        var options: RuncOptions?
        if let any = request.options, any.messageName.hasSuffix("runc.v1.Options") {
            options = try RuncOptions(protoBytes: any.value)
        }
        let runtime = try RuntimeConfig.resolve(options: options, namespace: config.namespace, bundle: bundle,
                                                shimDirectory: config.shimDirectory)
        try runtime.save(bundle: bundle)
        try RootfsMounts.mount(request.rootfs, bundle: bundle)
        let io: ContainerIO
        do {
            io = try ContainerIO(stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal,
                                 loop: loop, log: log)
        } catch {
            if !request.rootfs.isEmpty { RootfsMounts.unmountAll(RootfsMounts.target(bundle: bundle)) }
            throw error
        }
        let task = InitTask(id: request.id, bundle: bundle, request: request, runtime: runtime,
                            mountedRootfs: !request.rootfs.isEmpty, io: io)
        self.task = task
        let pidFile = "\(bundle)/init.pid"
        runStarting(runtime, ["create", "--bundle", bundle, "--pid-file", pidFile, task.id], io: io,
                    terminal: request.terminal) { [unowned self] result in
            let created = result.flatMap { _ in Self.readPid(pidFile) }
            switch created {
            case .success(let pid):
                task.pid = pid
                task.phase = .created
                log.info("created container \(task.id), init pid \(pid)")
                var event = TaskCreateEvent()
                event.containerID = task.id
                event.bundle = bundle
                event.rootfs = request.rootfs
                event.io = TaskIOEvent(stdin: request.stdin, stdout: request.stdout, stderr: request.stderr,
                                       terminal: request.terminal)
                event.checkpoint = request.checkpoint
                event.pid = UInt32(pid)
                publish(.create(event))
                task.oomWatcher = OOMWatcher(pid: pid, loop: loop, log: log) { [weak self, weak task] in
                    guard let self, let task else { return }
                    log.warn("container \(task.id): OOM kill")
                    publish(.oom(task.id))
                }
                // After TaskCreate: an init that is already gone is handled right here.
                supervisor.onExit(of: pid) { [weak self, weak task] exit in
                    guard let self, let task else { return }
                    initExited(task, exit)
                }
                answer(token, .success(PidResponse(pid: UInt32(pid))))
            case .failure(let error):
                io.close()
                if task.mountedRootfs { RootfsMounts.unmountAll(RootfsMounts.target(bundle: bundle)) }
                if self.task === task { self.task = nil }
                answer(token, Result<PidResponse, CoreError>.failure(error))
            }
        }
        return .pending
    }

    /// Runs a runtime command that starts a process on `io`: the process's stdio are the runtime's
    /// 0-2, or for a terminal the pty whose master arrives on a console socket (passed just before
    /// the container id, the last argument) and is attached to `io` before `completion` runs.
    func runStarting(_ runtime: RuntimeConfig, _ arguments: [String], io: ContainerIO?, terminal: Bool,
                     completion: @escaping (Result<[UInt8], CoreError>) -> Void) {
        var arguments = arguments
        var console: ConsoleSocket?
        if terminal {
            do {
                let socket = try ConsoleSocket(loop: loop)
                arguments.insert(contentsOf: ["--console-socket", socket.path], at: arguments.count - 1)
                console = socket
            } catch {
                return completion(.failure(error))
            }
        }
        runner.run(runtime, arguments, stdio: terminal ? nil : io?.containerSide.map(\.rawValue)) { result in
            io?.closeContainerSide()
            guard let console else { return completion(result) }
            let master = console.finish()
            completion(result.flatMap { (output) -> Result<[UInt8], CoreError> in
                guard let master else { return .failure(CoreError(.internal, "the runtime sent no pty master")) }
                do throws(CoreError) {
                    try io?.attachConsole(master)
                } catch {
                    return .failure(error)
                }
                return .success(output)
            })
        }
    }

    static func readPid(_ path: String) -> Result<Int32, CoreError> {
        do {
            let bytes = try AtomicFile.read(path) ?? []
            let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
            guard let pid = Int32(text), pid > 0 else {
                return .failure(CoreError(.internal, "runtime wrote no valid pid to \(path)"))
            }
            return .success(pid)
        } catch {
            return .failure(error)
        }
    }

    /// The init exited: its remaining output is copied, the record reaches the disk, TaskExit is
    /// published (after the record is durable), then waiters (Wait replies, a Delete in progress) run.
    func initExited(_ task: InitTask, _ exit: ProcessExit) {
        task.io?.drainOutput()
        let record = ExitRecord(exit)
        do {
            try record.write(bundle: task.bundle)
        } catch {
            log.error("writing the exit record of \(task.id): \(error.message)")
        }
        log.info("container \(task.id) init \(exit.pid) \(exit.status)")
        let finish = { [unowned self] in
            publish(.exit(TaskExitEvent(containerID: task.id, id: task.id, record)))
            task.recordExit(record)
        }
        guard task.exitHeldBack else { return finish() }
        // TaskStart and the execs' exits (they die with the init's pid namespace) go first.
        task.pendingInitExit = finish
        loop.after(milliseconds: Self.execDrainLimitMilliseconds) { [weak task] in
            guard let pending = task?.pendingInitExit else { return }
            task?.pendingInitExit = nil
            pending()
        }
    }

    /// Publishes and records an init exit that was held back, once nothing holds it any more.
    func releaseInitExit(_ task: InitTask) {
        guard !task.exitHeldBack, let pending = task.pendingInitExit else { return }
        task.pendingInitExit = nil
        pending()
    }

    func start(_ request: ProcessRequest, _ token: ReplyToken) throws(CoreError) -> CallOutcome {
        let (task, exec) = try lookup(request.id, execID: request.execID)
        if let exec { return try startExec(task, exec, token) }
        guard task.phase == .created else {
            throw CoreError(.failedPrecondition, "cannot start task \(task.id) in state \(task.status): failed precondition")
        }
        task.starting = true
        runner.run(task.runtime, ["start", task.id]) { [unowned self] result in
            task.starting = false
            // An init that exited meanwhile is still .created here: its exit waits for this event.
            if case .success = result, task.phase == .created {
                task.phase = .running
                publish(.start(TaskStartEvent(containerID: task.id, pid: UInt32(task.pid))))
            }
            releaseInitExit(task)
            answer(token, result.map { _ in PidResponse(pid: UInt32(task.pid)) })
        }
        return .pending
    }

    func kill(_ request: KillRequest, _ token: ReplyToken) throws(CoreError) -> CallOutcome {
        let (task, exec) = try lookup(request.id, execID: request.execID)
        if let exec { return try killExec(exec, signal: request.signal) }
        guard task.exit == nil else { throw CoreError(.notFound, "process already finished: not found") }
        guard task.phase != .creating else {
            throw CoreError(.failedPrecondition, "container \(task.id) is still being created: failed precondition")
        }
        // Signal 0 asks only whether the process is alive, which the reaper already knows.
        guard request.signal != 0 else { return Self.empty }
        let arguments = ["kill"] + (request.all ? ["--all"] : []) + [task.id, String(request.signal)]
        runner.run(task.runtime, arguments) { [unowned self] result in
            // A process that exited while the signal was on its way is "already finished".
            if case .failure = result, task.exit != nil {
                return reply(token, .failure(CoreError(.notFound, "process already finished: not found")))
            }
            reply(token, result.map { _ in [] })
        }
        return .pending
    }

    func freeze(_ request: ProcessRequest, pause: Bool, _ token: ReplyToken) throws(CoreError) -> CallOutcome {
        let task = try requireTask(request.id)
        guard task.phase == (pause ? .running : .paused) else {
            throw CoreError(.failedPrecondition,
                            "cannot \(pause ? "pause" : "resume") task \(task.id) in state \(task.status): failed precondition")
        }
        runner.run(task.runtime, [pause ? "pause" : "resume", task.id]) { [unowned self] result in
            if case .success = result, task.exit == nil {
                task.phase = pause ? .paused : .running
                publish(pause ? .paused(task.id) : .resumed(task.id))
            }
            reply(token, result.map { _ in [] })
        }
        return .pending
    }

    /// Deletes a created or stopped container: `runtime delete --force` (which kills a created
    /// init), then — once the init's exit is known — stdio closed, rootfs unmounted, and the exit
    /// reported. A running container must be killed first, as with containerd.
    func delete(_ request: ProcessRequest, _ token: ReplyToken) throws(CoreError) -> CallOutcome {
        let (task, exec) = try lookup(request.id, execID: request.execID)
        if let exec { return try deleteExec(task, exec) }
        switch task.phase {
        case .created, .stopped: break
        case .running, .paused:
            throw CoreError(.failedPrecondition, "cannot delete running task \(task.id): failed precondition")
        case .creating, .deleting:
            throw CoreError(.failedPrecondition, "task \(task.id) is busy: failed precondition")
        }
        let previous = task.phase
        task.phase = .deleting
        runner.run(task.runtime, ["delete", "--force", task.id]) { [unowned self] result in
            if case .failure(let error) = result {
                task.phase = task.exit == nil ? previous : .stopped
                return answer(token, Result<DeleteResponse, CoreError>.failure(error))
            }
            // A created init was just killed; its exit is at most a moment away. Should the kill
            // have missed, report it as killed after 10 s rather than never answering.
            let fallback = loop.after(milliseconds: 10_000) { [weak self, weak task] in
                guard let self, let task, task.exit == nil else { return }
                let record = ExitRecord(pid: UInt32(task.pid), exitStatus: 128 + UInt32(SIGKILL), exitedAt: .now())
                publish(.exit(TaskExitEvent(containerID: task.id, id: task.id, record)))
                task.recordExit(record)
            }
            task.whenExited { [unowned self] exit in
                loop.cancel(timer: fallback)
                task.io?.close()
                task.io = nil
                releaseExecs(task)
                task.oomWatcher?.close()
                task.oomWatcher = nil
                if task.mountedRootfs { RootfsMounts.unmountAll(RootfsMounts.target(bundle: task.bundle)) }
                if self.task === task { self.task = nil }
                log.info("deleted container \(task.id)")
                publish(.delete(TaskDeleteEvent(containerID: task.id, id: task.id, exit)))
                var response = DeleteResponse()
                response.pid = exit.pid
                response.exitStatus = exit.exitStatus
                response.exitedAt = exit.exitedAt
                answer(token, .success(response))
            }
        }
        return .pending
    }
}
