// ShimTaskService: containerd's shim v2 Task service for one container, served under both
// `containerd.task.v2.Task` and `containerd.task.v3.Task` (shared notes §2). Calls that need the
// runtime or the container's exit are parked and answered from the loop later, so Wait blocks
// only its caller. The lifecycle calls (Create, Start, Kill, Delete, Pause, Resume) and the
// init's exit are in ShimTaskService+Lifecycle.swift.
import Errdefs
import Glibc

/// What the daemon was started with (the `start` contract's flags, cwd = bundle).
public struct ShimConfig: Sendable {
    public var namespace: String
    public var id: String
    /// containerd's gRPC address (`-address`); events go to its `.ttrpc` sibling (later).
    public var address: String
    public var bundle: String
    /// The directory of the shim binary, where the default runtime is looked for first.
    public var shimDirectory: String
    public var debug: Bool

    public init(namespace: String, id: String, address: String, bundle: String, shimDirectory: String, debug: Bool) {
        self.namespace = namespace
        self.id = id
        self.address = address
        self.bundle = bundle
        self.shimDirectory = shimDirectory
        self.debug = debug
    }
}

public final class ShimTaskService {
    public static let serviceNames: Set<String> = ["containerd.task.v2.Task", "containerd.task.v3.Task"]
    /// Methods that answer Unimplemented in this version of the shim.
    public static let unimplementedMethods: Set<String> = ["Checkpoint"]

    let config: ShimConfig
    let loop: ShimEventLoop
    let supervisor: ProcessSupervisor
    let runner: RuntimeRunner
    let log: ShimLog
    var task: InitTask?
    /// Where task events go; nil when the shim was started without $TTRPC_ADDRESS.
    public var events: EventPublisher?
    /// Sends a parked call's reply (ShimServer.reply).
    public var reply: (ReplyToken, Result<[UInt8], CoreError>) -> Void = { _, _ in }
    /// Asks the daemon to exit once replies are written.
    public var requestShutdown: () -> Void = {}

    public init(config: ShimConfig, loop: ShimEventLoop, supervisor: ProcessSupervisor, log: ShimLog) {
        self.config = config
        self.loop = loop
        self.supervisor = supervisor
        self.log = log
        runner = RuntimeRunner(loop: loop, supervisor: supervisor, log: log)
    }

    /// Whether a container is held (created and not yet deleted).
    public var holdsContainer: Bool { task != nil }

    /// Whether the held container, if any, has exited.
    public var containerExited: Bool { task?.exit != nil }

    /// The dispatcher for ShimServer.
    public func handle(_ request: TTRPCRequest, _ token: ReplyToken) -> CallOutcome {
        guard Self.serviceNames.contains(request.service) else {
            return .reply(.failure(CoreError(.unimplemented, "service \(request.service)")))
        }
        log.debug("\(request.method) from connection \(token.connection)")
        do {
            let payload = request.payload
            switch request.method {
            case "State": return try state(ProcessRequest(protoBytes: payload))
            case "Create": return try create(CreateTaskRequest(protoBytes: payload), token)
            case "Exec": return try exec(ExecProcessRequest(protoBytes: payload))
            case "Start": return try start(ProcessRequest(protoBytes: payload), token)
            case "Delete": return try delete(ProcessRequest(protoBytes: payload), token)
            case "Update": return try update(UpdateTaskRequest(protoBytes: payload), token)
            case "Stats": return try stats(ProcessRequest(protoBytes: payload))
            case "Pids": return try pids(ProcessRequest(protoBytes: payload), token)
            case "Pause": return try freeze(ProcessRequest(protoBytes: payload), pause: true, token)
            case "Resume": return try freeze(ProcessRequest(protoBytes: payload), pause: false, token)
            case "Kill": return try kill(KillRequest(protoBytes: payload), token)
            case "Wait": return try wait(ProcessRequest(protoBytes: payload), token)
            case "Connect": return connect()
            case "Shutdown": return try shutdown(ShutdownRequest(protoBytes: payload))
            case "CloseIO": return try closeIO(CloseIORequest(protoBytes: payload))
            case "ResizePty": return try resizePty(ResizePtyRequest(protoBytes: payload))
            case let method where Self.unimplementedMethods.contains(method):
                return .reply(.failure(CoreError(.unimplemented, "\(method) is not implemented by berth-shim yet")))
            default:
                return .reply(.failure(CoreError(.unimplemented, "method \(request.method)")))
            }
        } catch {
            return .reply(.failure(error))
        }
    }

    /// A parked call's connection closed: forget its waiters.
    public func connectionClosed(_ connection: Int) {
        task?.dropWaiters(connection: connection)
        for exec in task?.execs.values ?? [:].values { exec.dropWaiters(connection: connection) }
    }

    // MARK: Helpers

    func publish(_ event: TaskEvent) { events?.publish(event) }

    static func ok<M: ProtoMessage>(_ message: M) -> CallOutcome { .reply(.success(message.protoBytes)) }
    static let empty = CallOutcome.reply(.success([]))
    static func fail(_ error: CoreError) -> CallOutcome { .reply(.failure(error)) }

    func answer<M: ProtoMessage>(_ token: ReplyToken, _ result: Result<M, CoreError>) {
        reply(token, result.map(\.protoBytes))
    }

    /// The task a request names; containerd's messages for a missing one.
    func requireTask(_ id: String) throws(CoreError) -> InitTask {
        guard let task else { throw CoreError(.notFound, "container not created: not found") }
        guard id == task.id else { throw CoreError(.notFound, "container \(id) not found: not found") }
        return task
    }

    // MARK: Calls answered from memory

    func state(_ request: ProcessRequest) throws(CoreError) -> CallOutcome {
        let (task, exec) = try lookup(request.id, execID: request.execID)
        let process: ShimProcess = exec ?? task
        var response = StateResponse()
        response.id = task.id
        response.execID = exec?.execID ?? ""
        response.bundle = task.bundle
        response.pid = UInt32(process.pid)
        response.status = exec?.status ?? task.status
        response.stdin = process.stdin
        response.stdout = process.stdout
        response.stderr = process.stderr
        response.terminal = process.terminal
        if let exit = process.exit {
            response.exitStatus = exit.exitStatus
            response.exitedAt = exit.exitedAt
        }
        return Self.ok(response)
    }

    func wait(_ request: ProcessRequest, _ token: ReplyToken) throws(CoreError) -> CallOutcome {
        let (task, exec) = try lookup(request.id, execID: request.execID)
        let process: ShimProcess = exec ?? task
        if let exit = process.exit { return Self.ok(Self.waitResponse(exit)) }
        process.whenExited(token: token) { [unowned self] exit in answer(token, .success(Self.waitResponse(exit))) }
        return .pending
    }

    static func waitResponse(_ exit: ExitRecord) -> WaitResponse {
        var response = WaitResponse()
        response.exitStatus = exit.exitStatus
        response.exitedAt = exit.exitedAt
        return response
    }

    func connect() -> CallOutcome {
        events?.retryNow()  // a supervisor back from a restart: deliver what waits without the backoff
        var response = ConnectResponse()
        response.shimPid = UInt32(getpid())
        response.taskPid = UInt32(task?.pid ?? 0)
        return Self.ok(response)
    }

    /// Exits only when no container is held, unless `now` (containerd's rule); the reply goes out first.
    func shutdown(_ request: ShutdownRequest) throws(CoreError) -> CallOutcome {
        if task != nil && !request.now { return Self.empty }
        requestShutdown()
        return Self.empty
    }

    func closeIO(_ request: CloseIORequest) throws(CoreError) -> CallOutcome {
        let (task, exec) = try lookup(request.id, execID: request.execID)
        if request.stdin { (exec ?? task).io?.closeStdin() }
        return Self.empty
    }

    /// Sets the window size of the process's terminal; a process without one succeeds, as with
    /// containerd's shim.
    func resizePty(_ request: ResizePtyRequest) throws(CoreError) -> CallOutcome {
        let (task, exec) = try lookup(request.id, execID: request.execID)
        if let console = (exec ?? task).io?.console {
            try resizeTerminal(console, width: request.width, height: request.height)
        }
        return Self.empty
    }

    /// Applies new resource limits: `runtime update --resources -` with the LinuxResources JSON.
    func update(_ request: UpdateTaskRequest, _ token: ReplyToken) throws(CoreError) -> CallOutcome {
        let task = try requireTask(request.id)
        guard let resources = request.resources, !resources.value.isEmpty else {
            throw CoreError(.invalidArgument, "update of \(task.id) carries no resources: invalid argument")
        }
        guard task.exit == nil, task.phase != .creating, task.phase != .deleting else {
            throw CoreError(.failedPrecondition, "cannot update task \(task.id) in state \(task.status): failed precondition")
        }
        runner.run(task.runtime, ["update", "--resources", "-", task.id], input: resources.value) { [unowned self] result in
            reply(token, result.map { _ in [] })
        }
        return .pending
    }

    /// The container's cgroup metrics, while its init lives (its cgroup is found through it).
    func stats(_ request: ProcessRequest) throws(CoreError) -> CallOutcome {
        let task = try requireTask(request.id)
        guard task.exit == nil, task.pid > 0 else {
            throw CoreError(.notFound, "task \(task.id) is not running: not found")
        }
        var response = StatsResponse()
        response.stats = try CgroupMetrics.collect(pid: task.pid)
        return Self.ok(response)
    }

    func pids(_ request: ProcessRequest, _ token: ReplyToken) throws(CoreError) -> CallOutcome {
        let task = try requireTask(request.id)
        guard task.exit == nil, task.phase != .creating else { return Self.ok(PidsResponse()) }
        runner.run(task.runtime, ["ps", "--format", "json", task.id]) { [unowned self] result in
            answer(token, result.flatMap { (output) -> Result<PidsResponse, CoreError> in
                guard let pids = JSONString.integers(in: output) else {
                    return .failure(CoreError(.internal, "runtime ps printed something other than a list of pids"))
                }
                var response = PidsResponse()
                response.processes = pids.map { ProcessInfo(pid: UInt32(truncatingIfNeeded: $0)) }
                return .success(response)
            })
        }
        return .pending
    }
}
