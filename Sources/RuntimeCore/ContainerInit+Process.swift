// The container's PID 1, between fork and execve, in runc's order (standard_init_linux.go):
// cgroup namespace → rootfs and mounts → console → pivot_root → hostname → sysctl →
// masked/readonly paths → rlimits → tell the parent "ready" → capabilities, uid/gid last →
// no_new_privs → seccomp last → wait on exec.fifo (the create/start split) → close fds → execve.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import OCI
import Sys

extension ContainerInit {
    static func containerProcess(_ spec: Spec, _ options: InitOptions, sync: SyncChannel) -> Never {
        let prepared: Prepared
        do {
            prepared = try prepare(spec, options, sync: sync)
            try sync.send(.ready)
        } catch let failure as ChildFailure {
            report(failure, on: sync)
        } catch let error as CoreError {
            report(ChildFailure(stage: "init", path: "", errno: error.cause?.errno ?? 0, message: error.message), on: sync)
        } catch {
            report(ChildFailure(stage: "init", path: "", errno: 0, message: "\(error)"), on: sync)
        }
        // After "ready" the parent has gone on: what fails now can only be told on stderr (the
        // container's), which is where runc's init reports it too.
        do {
            try finish(spec, options, prepared)
        } catch {
            let text = "berth-runtime init: \(error.coreError.message)\n"
            _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
            _exit(127)
        }
    }

    struct Prepared {
        var executable: String
        var setup: ProcessSetup
        /// Our pid as the runtime sees it, for the state hooks receive.
        var hostPID: Int32 = 0
    }

    /// Everything up to "ready": failures here are reported to `create`.
    static func prepare(_ spec: Spec, _ options: InitOptions, sync: SyncChannel) throws(ChildFailure) -> Prepared {
        guard let process = spec.process, let args = process.args, let program = args.first else {
            throw ChildFailure(stage: "config", path: "config.json", errno: 0, message: "process.args must not be empty")
        }
        let namespaces = spec.linux?.namespaces ?? []
        let has: (LinuxNamespaceType) -> LinuxNamespace? = { t in namespaces.first { $0.type == t } }

        // We are in our cgroup already (the parent put stage 1 there): a new cgroup namespace now
        // makes that cgroup the container's root.
        if let ns = has(.cgroup), ns.path?.isEmpty ?? true {
            do { try Linux.unshare(.cgroup) } catch {
                throw ChildFailure(stage: "unshare", path: "", errno: error.cause?.errno ?? 0, message: "cgroup namespace")
            }
        }
        // A session of our own, like runc's init: the container does not share the caller's terminal.
        _ = setsid()
        // Its own session keyring too, unless --no-new-keyring (kernels without keyrings: ENOSYS).
        if options.newKeyring {
            let name = "_ses.\(options.containerID)"
            do { try Linux.joinSessionKeyring(name: name) } catch where error.cause?.errno != ENOSYS {
                throw ChildFailure(stage: "keyctl", path: "", errno: error.cause?.errno ?? 0, message: "join session keyring \(name)")
            } catch {}
        }

        let rootPath = spec.root?.path ?? "rootfs"
        let rootfs = try realPath(rootPath.hasPrefix("/") ? rootPath : "\(options.bundle)/\(rootPath)")
        let rootfsSetup = RootfsSetup(spec: spec, rootfs: rootfs, noPivot: options.noPivot)
        // Before pivot_root the host's /proc is still ours to read: our pid as the runtime sees it.
        let hostPID = Int32(readLink("/proc/self") ?? "") ?? 0
        if has(.mount) != nil {
            try rootfsSetup.prepare()
        }
        // Hooks: prestart and createRuntime run in the runtime's namespaces (the parent runs them),
        // createContainer here, in the container's, all before pivot_root (OCI runtime spec).
        let hooks = spec.hooks
        if !(hooks?.prestart ?? []).isEmpty || !(hooks?.createRuntime ?? []).isEmpty {
            do {
                try sync.send(.hooksRequest)
                try sync.expect(.hooksDone, during: "prestart/createRuntime hooks")
            } catch { throw ChildFailure(stage: "hooks", path: "", errno: 0, message: error.message) }
        }
        if let createContainer = hooks?.createContainer, !createContainer.isEmpty {
            try runHooks(createContainer, stage: "createContainer", spec: spec, options: options, status: .creating, pid: hostPID)
        }
        if process.terminal == true {
            guard let consoleFD = options.consoleFD else {
                throw ChildFailure(stage: "console", path: "", errno: 0, message: "process.terminal is true but no --console-socket was given")
            }
            try Console.setUp(socket: consoleFD, size: process.consoleSize, rootfs: rootfs)
        }
        if has(.mount) != nil {
            try rootfsSetup.enter()
        } else {
            throw ChildFailure(stage: "config", path: "config.json", errno: 0, message: "linux.namespaces must include a mount namespace")
        }
        if has(.uts) != nil {
            if let hostname = spec.hostname, sethostname(hostname, hostname.utf8.count) != 0 {
                throw ChildFailure(stage: "sethostname", path: "", errno: errno, message: hostname)
            }
            if let domain = spec.domainname, setdomainname(domain, domain.utf8.count) != 0 {
                throw ChildFailure(stage: "setdomainname", path: "", errno: errno, message: domain)
            }
        }
        for (key, value) in (spec.linux?.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
            try writeSysctl(key, value)
        }
        try rootfsSetup.finalize()

        let env = process.env ?? []
        let setup = ProcessSetup(process: process, seccomp: spec.linux?.seccomp, env: env)
        setup.adopt(options.seccompProgram)
        // Check names and compile seccomp now, so a bad profile fails `create`, not the start.
        try setup.validate()
        try setup.applyRlimits()
        try setup.applyOOMScoreAdj()
        try setup.enterWorkingDirectory()
        // Find the program now, so a missing one fails `create` with a clear error, as runc does.
        guard let executable = ProcessSetup.lookPath(program, env: env) else {
            throw ProcessSetup.lookupFailure(program)
        }
        return Prepared(executable: executable, setup: setup, hostPID: hostPID)
    }

    /// Runs hooks from the init; a failure fails the container's setup.
    static func runHooks(_ hooks: [Hook], stage: String, spec: Spec, options: InitOptions, status: ContainerStatus,
                         pid: Int32) throws(ChildFailure) {
        let state = ContainerState(id: options.containerID, status: status, pid: Int(pid), bundle: options.bundle,
                                   annotations: spec.annotations)
        do { try HookRunner.run(hooks, stage: stage, state: state) } catch {
            throw ChildFailure(stage: stage + " hook", path: "", errno: error.cause?.errno ?? 0, message: error.message)
        }
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// After "ready": credentials, then the wait for `start`, then execve.
    static func finish(_ spec: Spec, _ options: InitOptions, _ prepared: Prepared) throws(ChildFailure) -> Never {
        try applyCredentials(prepared.setup)
        // The create/start split: opening the fifo for writing blocks until `start` opens it for
        // reading. Reopen through /proc/self/fd: after pivot_root the fifo's path is not ours.
        // The uid switch left us non-dumpable, which hides /proc/self/fd from ourselves.
        try? Linux.setDumpable(true)
        let fifo = open("/proc/self/fd/\(options.fifoFD)", O_WRONLY | O_CLOEXEC)
        if fifo < 0 { throw ChildFailure(stage: "open exec fifo", path: "", errno: errno, message: "") }
        var zero: UInt8 = 0x30
        _ = Glibc.write(fifo, &zero, 1)
        close(fifo)
        // startContainer hooks: in the container, after `start`, right before the program.
        if let startContainer = spec.hooks?.startContainer, !startContainer.isEmpty {
            try runHooks(startContainer, stage: "startContainer", spec: spec, options: options, status: .created, pid: prepared.hostPID)
        }
        try execute(spec, options, prepared)
    }

    /// `exec`'s tail: credentials, then execve at once.
    static func finishWithoutFifo(_ spec: Spec, _ options: InitOptions, _ prepared: Prepared) throws(ChildFailure) -> Never {
        try applyCredentials(prepared.setup)
        try execute(spec, options, prepared)
    }

    /// Capabilities, uid last, no_new_privs, seccomp last (early only when it must be).
    static func applyCredentials(_ setup: ProcessSetup) throws(ChildFailure) {
        _ = try setup.prepareSeccomp()
        for warning in setup.warnings {
            let text = "berth-runtime init: warning: \(warning)\n"
            _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
        }
        if setup.needsEarlySeccomp { try setup.loadSeccomp() }
        try setup.dropBoundingSet()
        try setup.switchUser()
        try setup.applyCapabilities()
        try setup.setNoNewPrivileges()
        if !setup.needsEarlySeccomp { try setup.loadSeccomp() }
        setup.applyUmask()
    }

    /// Closes what is not the container's and becomes its program.
    static func execute(_ spec: Spec, _ options: InitOptions, _ prepared: Prepared) throws(ChildFailure) -> Never {
        // Nothing of ours may reach the container's program (CVE-2024-21626: a leaked host fd or
        // cwd lets it escape): everything above the preserved descriptors closes at exec.
        do { try Linux.closeRange(from: UInt32(3 + options.preserveFDs)) } catch {
            throw ChildFailure(stage: "close_range", path: "", errno: error.cause?.errno ?? 0, message: "")
        }
        let args = spec.process?.args ?? []
        let env = spec.process?.env ?? []
        let cArgs = args.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        execve(prepared.executable, cArgs, cEnv)
        throw ChildFailure(stage: "exec", path: prepared.executable, errno: errno, message: "")
    }

    static func realPath(_ path: String) throws(ChildFailure) -> String {
        guard let resolved = realpath(path, nil) else {
            throw ChildFailure(stage: "rootfs", path: path, errno: errno, message: "root.path")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Writes net.ipv4.ip_forward=1 to /proc/sys/net/ipv4/ip_forward.
    static func writeSysctl(_ key: String, _ value: String) throws(ChildFailure) {
        guard !key.contains(".."), !key.contains("/") || !key.contains(".") else {
            throw ChildFailure(stage: "sysctl", path: key, errno: EINVAL, message: "invalid sysctl name")
        }
        let path = "/proc/sys/" + key.replacingDots()
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw ChildFailure(stage: "sysctl", path: path, errno: errno, message: key) }
        defer { close(fd) }
        let ok = value.withCString { Glibc.write(fd, $0, strlen($0)) } >= 0
        if !ok { throw ChildFailure(stage: "sysctl", path: path, errno: errno, message: "\(key)=\(value)") }
    }
}

extension String {
    /// `net.ipv4.ip_forward` → `net/ipv4/ip_forward` (a name that already uses slashes is kept).
    func replacingDots() -> String {
        contains("/") ? self : String(map { $0 == "." ? "/" : $0 })
    }
}
