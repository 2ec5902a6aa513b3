// Runtime.create and Runtime.run: the parent side of container creation. It validates the
// bundle, reserves the id, makes the cgroups and exec.fifo, re-execs itself as `init` with the
// sync socket, drives the protocol in SyncChannel.swift, and records the container. Any failure
// removes everything it made: a failed create leaves nothing behind.
#if canImport(Glibc)
import Glibc
#endif
import Cgroups
import Errdefs
import OCI
import Sys

/// Options of `create` and `run` (runc's flags).
public struct CreateOptions: Sendable {
    public var bundle: String
    public var consoleSocket: String?
    public var pidFile: String?
    public var noPivot = false
    public var noNewKeyring = false
    public var preserveFDs: Int32 = 0

    public init(bundle: String) { self.bundle = bundle }
}

extension Runtime {
    /// Creates the container and returns its init's pid; it waits on exec.fifo until `start`.
    @discardableResult
    public func create(id: String, _ options: CreateOptions) throws(CoreError) -> Int32 {
        let bundle = try absolute(options.bundle)
        let spec = try Spec.load(bundle: bundle)
        try spec.validate()
        guard spec.process != nil else { throw CoreError(.invalidArgument, "config.json: process is required to create a container") }
        if options.consoleSocket != nil && spec.process?.terminal != true {
            throw CoreError(.invalidArgument, "--console-socket given but process.terminal is false")
        }
        if spec.process?.terminal == true && options.consoleSocket == nil {
            throw CoreError(.invalidArgument, "process.terminal is true: --console-socket is required")
        }
        try store.reserve(id)
        var containerPID: Int32 = 0
        var cgroup: (any CgroupManager)?
        do throws(CoreError) {
            let fifo = store.fifoPath(id)
            guard mkfifo(fifo, 0o622) == 0 else { throw CoreError(SystemCallFailure(call: "mkfifo", path: fifo, errno: errno)) }
            // Writable by the container's user whatever the umask: the init opens it after its uid switch.
            guard chmod(fifo, 0o622) == 0 else { throw CoreError(SystemCallFailure(call: "chmod", path: fifo, errno: errno)) }
            let fifoFD = try FileDescriptor.open(fifo, flags: 0o10_000_000)  // O_PATH: a handle, not an open fifo end

            cgroup = try makeCgroups(spec: spec, id: id)

            let (parentEnd, childEnd) = try UnixSocket.socketPair(.seqpacket)
            var console: FileDescriptor?
            if let socketPath = options.consoleSocket {
                console = try UnixSocket.connect(path: socketPath)
            }
            let stage1 = try InitLauncher.start(preserveFDs: options.preserveFDs, sync: childEnd, fifo: fifoFD,
                                                console: console, bundle: bundle, containerID: id, stateRoot: root) {
                $0.noPivot = options.noPivot
                $0.newKeyring = !options.noNewKeyring
                $0.seccompCache = root + "/seccomp"
            }
            try? childEnd.close()
            try? console?.close()
            defer { reap(stage1) }

            // Children inherit cgroups: placing stage 1 now puts PID 1 and everything after there.
            try cgroup?.apply(pid: stage1)
            let sync = SyncChannel(fd: parentEnd.rawValue)
            try sync.send(.go)
            containerPID = try drive(sync, stage1: stage1, spec: spec)
            try awaitReady(sync, id: id, pid: containerPID, bundle: bundle, spec: spec)

            guard let started = ProcFS.stat(containerPID) else {
                throw CoreError(.internal, "container init \(containerPID) vanished after setup")
            }
            let record = ContainerRecord(
                id: id, bundle: bundle, rootfs: rootfsPath(spec, bundle), pid: containerPID, pidStartTime: started.startTime,
                created: rfc3339Now(), annotations: spec.annotations ?? [:], cgroupPaths: cgroup?.paths ?? [:],
                ownPidNamespace: spec.linux?.namespaces?.contains { $0.type == .pid && ($0.path ?? "").isEmpty } ?? false,
                owner: "")
            try store.save(record)
            if let pidFile = options.pidFile { try writePidFile(pidFile, containerPID) }
            return containerPID
        } catch {
            if containerPID > 0 { Glibc.kill(containerPID, SIGKILL); reap(containerPID) }
            if let cgroup { try? cgroup.destroy() }
            store.remove(id)
            throw error
        }
    }

    /// Answers the init's requests until it reports the pid of the container's process.
    private func drive(_ sync: SyncChannel, stage1: Int32, spec: Spec) throws(CoreError) -> Int32 {
        while true {
            switch try sync.receive() {
            case .idMapRequest?:
                try writeIDMaps(pid: stage1, spec: spec)
                try sync.send(.idMapDone)
            case .pid(let pid)?:
                return pid
            case .error(let failure)?:
                throw failure.coreError
            case nil:
                throw CoreError(.internal, "container init exited before reporting its pid")
            case let other?:
                throw CoreError(.internal, "sync: unexpected \(other) before the container pid")
            }
        }
    }

    /// Waits for "ready", running prestart and createRuntime hooks when the init asks (its
    /// mounts are made, pivot_root not yet) — in the runtime's namespaces, as the spec says.
    private func awaitReady(_ sync: SyncChannel, id: String, pid: Int32, bundle: String, spec: Spec) throws(CoreError) {
        while true {
            switch try sync.receive() {
            case .ready?:
                return
            case .hooksRequest?:
                let state = ContainerState(id: id, status: .creating, pid: Int(pid), bundle: bundle, annotations: spec.annotations)
                try HookRunner.run(spec.hooks?.prestart ?? [], stage: "prestart", state: state)
                try HookRunner.run(spec.hooks?.createRuntime ?? [], stage: "createRuntime", state: state)
                try sync.send(.hooksDone)
            case .error(let failure)?:
                throw failure.coreError
            case nil:
                throw CoreError(.internal, "container init exited during container setup without reporting an error")
            case let other?:
                throw CoreError(.internal, "sync: unexpected \(other) during container setup")
            }
        }
    }

    /// Writes /proc/PID/uid_map and gid_map for a user namespace the init just created.
    private func writeIDMaps(pid: Int32, spec: Spec) throws(CoreError) {
        func text(_ maps: [LinuxIDMapping]?) -> String {
            (maps ?? []).map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        }
        if geteuid() != 0 { try writeFile("/proc/\(pid)/setgroups", "deny") }
        try writeFile("/proc/\(pid)/uid_map", text(spec.linux?.uidMappings))
        try writeFile("/proc/\(pid)/gid_map", text(spec.linux?.gidMappings))
    }

    func writePidFile(_ path: String, _ pid: Int32) throws(CoreError) {
        let temp = path + ".tmp"
        try writeFile(temp, String(pid), create: true)
        guard rename(temp, path) == 0 else { throw CoreError(SystemCallFailure(call: "rename", path: path, errno: errno)) }
    }

    private func rootfsPath(_ spec: Spec, _ bundle: String) -> String {
        let path = spec.root?.path ?? "rootfs"
        return path.hasPrefix("/") ? path : "\(bundle)/\(path)"
    }

    func absolute(_ path: String) throws(CoreError) -> String {
        guard let resolved = realpath(path, nil) else {
            throw CoreError(SystemCallFailure(call: "realpath", path: path, errno: errno), context: "bundle")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Waits for a child without blocking forever on one that is not ours (EINTR retried).
    func reap(_ pid: Int32) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}

func writeFile(_ path: String, _ text: String, create: Bool = false) throws(CoreError) {
    let fd = open(path, O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0o644)
    guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
    defer { close(fd) }
    let n = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    guard n == text.utf8.count else { throw CoreError(SystemCallFailure(call: "write", path: path, errno: errno)) }
}
