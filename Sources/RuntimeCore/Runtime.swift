// Runtime: berth-runtime's operations on containers, as runc offers them — create, start, state,
// list, kill, delete, run — over the state kept under --root. One value per invocation; every
// operation is synchronous (no threads: `create` forks).
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import OCI
import Sys

public struct Runtime: Sendable {
    public let root: String
    var store: StateStore { StateStore(root: root) }

    public init(root: String = "/run/berth-runtime") {
        self.root = root
    }

    /// The OCI state of one container.
    public func state(id: String) throws(CoreError) -> ContainerState {
        let record = try store.load(id)
        return ContainerState(id: record.id, status: status(of: record), pid: Int(record.pid), bundle: record.bundle,
                              rootfs: record.rootfs, created: record.created, owner: record.owner,
                              annotations: record.annotations)
    }

    /// Every container under the root.
    public func list() -> [ContainerState] {
        store.ids().compactMap { try? state(id: $0) }
    }

    /// created until `start` consumed exec.fifo; running while the init lives; else stopped.
    func status(of record: ContainerRecord) -> ContainerStatus {
        guard ProcFS.isAlive(record.pid, startTime: record.pidStartTime) else { return .stopped }
        if access(store.fifoPath(record.id), F_OK) == 0 { return .created }
        if let freezer = record.cgroupPaths["freezer"], ProcFS.read(freezer + "/freezer.state")?.hasPrefix("FROZEN") == true {
            return .paused
        }
        if let unified = record.cgroupPaths["unified"], ProcFS.read(unified + "/cgroup.freeze")?.hasPrefix("1") == true {
            return .paused
        }
        return .running
    }

    /// Lets a created container run its program: opens exec.fifo for reading, which releases
    /// the init blocked opening it for writing, then removes the fifo.
    public func start(id: String) throws(CoreError) {
        let record = try store.load(id)
        switch status(of: record) {
        case .created: break
        case .stopped: throw CoreError(.failedPrecondition, "cannot start a container that has stopped")
        default: throw CoreError(.failedPrecondition, "cannot start an already running container")
        }
        let path = store.fifoPath(id)
        // Non-blocking open never hangs, even if the init died meanwhile; then wait for its byte.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
        defer { close(fd) }
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n == 1 { break }
            if n < 0 && errno != EAGAIN && errno != EINTR {
                throw CoreError(SystemCallFailure(call: "read", path: path, errno: errno))
            }
            guard ProcFS.isAlive(record.pid, startTime: record.pidStartTime) else {
                // Between the read above and this check the init may have written its byte, run
                // its program and ended (`true` under load): then it did start.
                if read(fd, &byte, 1) == 1 { break }
                throw CoreError(.failedPrecondition, "container \(id) exited before it was started")
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, 50)
        }
        unlink(path)
        // poststart: after the program was let go; a failure is a warning (OCI runtime spec).
        if let hooks = try? Spec.loadHooks(bundle: record.bundle)?.poststart, !hooks.isEmpty {
            runWarningHooks(hooks, stage: "poststart", record: record, status: .running)
        }
    }

    /// Runs hooks whose failure must not stop the lifecycle (poststart, poststop): each is tried,
    /// failures are reported on stderr as warnings.
    func runWarningHooks(_ hooks: [Hook], stage: String, record: ContainerRecord, status: ContainerStatus) {
        let state = ContainerState(id: record.id, status: status, pid: Int(record.pid), bundle: record.bundle,
                                   annotations: record.annotations)
        for hook in hooks {
            do { try HookRunner.run([hook], stage: stage, state: state) } catch {
                let text = "time=\"\(rfc3339Now())\" level=warning msg=\"\(error.message)\"\n"
                _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
            }
        }
    }

    /// Sends a signal to the container's init, or with `all` to every process in its cgroup.
    public func kill(id: String, signal: Int32, all: Bool = false) throws(CoreError) {
        let record = try store.load(id)
        let status = status(of: record)
        guard status != .stopped else { throw CoreError(.failedPrecondition, "container not running") }
        if all || !record.ownPidNamespace {
            for pid in CgroupProcesses(record.cgroupPaths, initPID: record.pid).list() { Glibc.kill(pid, signal) }
        }
        if Glibc.kill(record.pid, signal) != 0 && errno != ESRCH {
            throw CoreError(SystemCallFailure(call: "kill", path: "pid \(record.pid)", errno: errno))
        }
    }

    /// Removes a stopped (or, like runc, a never-started) container; `force` kills a running one.
    public func delete(id: String, force: Bool = false) throws(CoreError) {
        let record: ContainerRecord
        do { record = try store.load(id) } catch {
            // An aborted create may have left the directory without state.json: remove it. As
            // with runc, --force makes a missing container a success.
            guard error.code == .notFound else { throw error }
            store.remove(id)
            if force { return }
            throw error
        }
        switch status(of: record) {
        case .stopped: break
        case .created:
            try killAndWait(record)
        case .running, .paused, .creating:
            guard force else {
                throw CoreError(.failedPrecondition, "cannot delete container \(id) that is not stopped: \(status(of: record).rawValue)")
            }
            try killAndWait(record)
        }
        CgroupProcesses(record.cgroupPaths).destroy()
        store.remove(id)
        // poststop: after the container is gone; failures are warnings (OCI runtime spec).
        if let hooks = try? Spec.loadHooks(bundle: record.bundle)?.poststop, !hooks.isEmpty {
            runWarningHooks(hooks, stage: "poststop", record: record, status: .stopped)
        }
    }

    /// SIGKILL to everything in the container (thawed first, or a frozen task never dies), then
    /// waits up to 10 s for the init to be gone.
    func killAndWait(_ record: ContainerRecord) throws(CoreError) {
        let cgroups = CgroupProcesses(record.cgroupPaths, initPID: record.pid)
        cgroups.thaw()
        for pid in cgroups.list() { Glibc.kill(pid, SIGKILL) }
        Glibc.kill(record.pid, SIGKILL)
        for _ in 0..<1000 {
            // A child of ours (run, a test) must be reaped to disappear.
            var status: Int32 = 0
            _ = waitpid(record.pid, &status, WNOHANG)
            if !ProcFS.isAlive(record.pid, startTime: record.pidStartTime) { return }
            usleep(10_000)
        }
        throw CoreError(.deadlineExceeded, "container \(record.id) did not die after SIGKILL within 10 s")
    }
}
