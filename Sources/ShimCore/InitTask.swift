// InitTask: the container's init process as the shim tracks it — its phase, pid, stdio, the
// runtime that made it, whether the shim mounted its rootfs, and its exit once reaped, with the
// callbacks (parked Wait replies, a Delete in progress) to run when that exit arrives.

final class InitTask {
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

    struct ExitWaiter {
        /// The parked call this waiter answers, if any (dropped when its connection closes).
        var token: ReplyToken?
        var action: (ExitRecord) -> Void
    }

    let id: String
    let bundle: String
    let stdin: String
    let stdout: String
    let stderr: String
    let runtime: RuntimeConfig
    let mountedRootfs: Bool
    var pid: Int32 = 0
    var phase: Phase = .creating
    var exit: ExitRecord?
    var io: ContainerIO?
    private var exitWaiters: [ExitWaiter] = []

    init(id: String, bundle: String, request: CreateTaskRequest, runtime: RuntimeConfig, mountedRootfs: Bool, io: ContainerIO) {
        self.id = id
        self.bundle = bundle
        stdin = request.stdin
        stdout = request.stdout
        stderr = request.stderr
        self.runtime = runtime
        self.mountedRootfs = mountedRootfs
        self.io = io
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

    /// Runs `action` with the exit record — now if the init has exited, else when it does.
    func whenExited(token: ReplyToken? = nil, _ action: @escaping (ExitRecord) -> Void) {
        if let exit { return action(exit) }
        exitWaiters.append(ExitWaiter(token: token, action: action))
    }

    /// Records the exit and runs every waiter once.
    func recordExit(_ record: ExitRecord) {
        exit = record
        if phase != .deleting { phase = .stopped }
        let waiters = exitWaiters
        exitWaiters = []
        for waiter in waiters { waiter.action(record) }
    }

    /// Drops the waiters of calls parked on a closed connection.
    func dropWaiters(connection: Int) {
        exitWaiters.removeAll { $0.token?.connection == connection }
    }
}
