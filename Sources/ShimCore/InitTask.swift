// InitTask and ExecProcess: the container's init and its exec'd processes as the shim tracks
// them — pid, stdio, and the exit once reaped, with the callbacks (parked Wait replies, a Delete
// in progress) to run when that exit arrives. The init also carries its phase, the runtime that
// made it, whether the shim mounted its rootfs, and its execs.

/// What the init and an exec share: a pid, stdio, and an exit with waiters.
class ShimProcess {
    struct ExitWaiter {
        /// The parked call this waiter answers, if any (dropped when its connection closes).
        var token: ReplyToken?
        var action: (ExitRecord) -> Void
    }

    let stdin: String
    let stdout: String
    let stderr: String
    let terminal: Bool
    var pid: Int32 = 0
    var exit: ExitRecord?
    var io: ContainerIO?
    private var exitWaiters: [ExitWaiter] = []

    init(stdin: String, stdout: String, stderr: String, terminal: Bool, io: ContainerIO?) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.terminal = terminal
        self.io = io
    }

    /// Runs `action` with the exit record — now if the process has exited, else when it does.
    func whenExited(token: ReplyToken? = nil, _ action: @escaping (ExitRecord) -> Void) {
        if let exit { return action(exit) }
        exitWaiters.append(ExitWaiter(token: token, action: action))
    }

    /// Records the exit and runs every waiter once.
    func recordExit(_ record: ExitRecord) {
        exit = record
        exited()
        let waiters = exitWaiters
        exitWaiters = []
        for waiter in waiters { waiter.action(record) }
    }

    /// Called when the exit is recorded, before the waiters run.
    func exited() {}

    /// Drops the waiters of calls parked on a closed connection.
    func dropWaiters(connection: Int) {
        exitWaiters.removeAll { $0.token?.connection == connection }
    }
}

final class InitTask: ShimProcess {
    enum Phase: Equatable {
        /// `runtime create` is running.
        case creating
        case created
        case running
        case paused
        /// The init has exited; `exit` is set.
        case stopped
        /// Delete is in progress.
        case deleting
    }

    let id: String
    let bundle: String
    let runtime: RuntimeConfig
    let mountedRootfs: Bool
    var phase: Phase = .creating
    var execs: [String: ExecProcess] = [:]
    /// The init's exit, reaped while it was held back (`exitHeldBack`): published and recorded
    /// once nothing holds it.
    var pendingInitExit: (() -> Void)?

    init(id: String, bundle: String, request: CreateTaskRequest, runtime: RuntimeConfig, mountedRootfs: Bool, io: ContainerIO?) {
        self.id = id
        self.bundle = bundle
        self.runtime = runtime
        self.mountedRootfs = mountedRootfs
        super.init(stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal, io: io)
    }

    /// The containerd status of this phase.
    var status: TaskStatus {
        switch phase {
        case .creating, .created: .created
        case .running: .running
        case .paused: .paused
        case .stopped: .stopped
        case .deleting: exit == nil ? .created : .stopped
        }
    }

    override func exited() {
        if phase != .deleting { phase = .stopped }
    }

    /// Reports OOM kills in the container's memory cgroup while it lives.
    var oomWatcher: OOMWatcher?
    /// `runtime start` is running.
    var starting = false

    /// Whether the init's exit must wait: a Start or exec start is in flight or an exec is not yet
    /// reaped, whose events go first.
    var exitHeldBack: Bool {
        starting || execs.values.contains { $0.starting || ($0.started && $0.exit == nil) }
    }
}

/// A process added to the container by Exec.
final class ExecProcess: ShimProcess {
    let execID: String
    /// The OCI Process JSON it runs.
    let spec: [UInt8]
    var started = false
    /// `runtime exec` is running.
    var starting = false

    init(execID: String, spec: [UInt8], request: ExecProcessRequest, io: ContainerIO?) {
        self.execID = execID
        self.spec = spec
        super.init(stdin: request.stdin, stdout: request.stdout, stderr: request.stderr, terminal: request.terminal, io: io)
    }

    var status: TaskStatus {
        if exit != nil { return .stopped }
        return started ? .running : .created
    }
}
