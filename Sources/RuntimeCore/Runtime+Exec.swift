// Runtime.exec: runs another process in a running container — in all its namespaces and
// cgroups, with the process's own capabilities, user, rlimits and the container's seccomp
// profile — through the same re-exec'd init and sync protocol as create.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import JSON
import OCI
import Sys

/// Options of `exec` (runc's flags that are not part of the process itself).
public struct ExecOptions: Sendable {
    public var consoleSocket: String?
    public var pidFile: String?
    public var detach = false
    public var preserveFDs: Int32 = 0
    public init() {}
}

extension Runtime {
    /// The container's own process, as the base for `exec` flags (env, user, caps, cwd).
    public func process(of id: String) throws(CoreError) -> OCI.Process {
        let record = try store.load(id)
        guard let process = try Spec.loadProcess(bundle: record.bundle) else {
            throw CoreError(.invalidArgument, "config.json of \(id) has no process")
        }
        return process
    }

    /// Runs `process` in the container; returns its exit code, or 0 with `detach`.
    public func exec(id: String, process: OCI.Process, _ options: ExecOptions) throws(CoreError) -> Int32 {
        let record = try store.load(id)
        switch status(of: record) {
        case .running, .created: break
        case .paused: throw CoreError(.failedPrecondition, "cannot exec in a paused container")
        default: throw CoreError(.failedPrecondition, "cannot exec in a stopped container")
        }
        if process.terminal == true && options.consoleSocket == nil {
            throw CoreError(.invalidArgument, "a terminal (--tty) needs --console-socket")
        }
        guard let first = process.args?.first, !first.isEmpty else { throw CoreError(.invalidArgument, "exec: no command given") }
        let processFile = "\(store.directory(id))/exec-\(getpid()).json"
        let json: [UInt8]
        do { json = try JSONCodec.encode(process) } catch { throw CoreError(.internal, "encode process: \(error.description)") }
        try writeFile(processFile, String(decoding: json, as: UTF8.self), create: true)
        defer { unlink(processFile) }

        var foreground = options.detach ? nil : try ForegroundWait()
        let (parentEnd, childEnd) = try UnixSocket.socketPair(.seqpacket)
        let console = try options.consoleSocket.map { (path) throws(CoreError) in try UnixSocket.connect(path: path) }
        // exec has no fifo: its slot repeats the sync socket.
        let stage1 = try InitLauncher.start(preserveFDs: options.preserveFDs, sync: childEnd, fifo: childEnd,
                                            console: console, bundle: record.bundle, containerID: id, stateRoot: root) {
            $0.execTarget = record.pid
            $0.processFile = processFile
            $0.seccompCache = root + "/seccomp"
        }
        try? childEnd.close()
        try? console?.close()
        var pid: Int32 = 0
        do throws(CoreError) {
            // Into the container's cgroups before anything forks.
            try CgroupProcesses(record.cgroupPaths).apply(pid: stage1)
            let sync = SyncChannel(fd: parentEnd.rawValue)
            try sync.send(.go)
            switch try sync.receive() {
            case .pid(let p)?: pid = p
            case .error(let failure)?: throw failure.coreError
            default: throw CoreError(.internal, "exec: init exited before reporting a pid")
            }
            reap(stage1)
            try sync.expect(.ready, during: "exec setup")
        } catch {
            if pid > 0 { Glibc.kill(pid, SIGKILL) }
            reap(stage1)
            throw error
        }
        if let pidFile = options.pidFile { try writePidFile(pidFile, pid) }
        guard foreground != nil else { return 0 }
        return foreground!.wait(for: pid)
    }
}
