// ShimStart: the `start` half of the shim binary contract (shared notes §3.2, §3.4). Run by the
// supervisor with cwd = bundle, it names the socket as containerd does, reuses a shim already
// serving it, or binds the socket (0600 in a 0700 directory, never abstract) and starts the
// long-lived daemon from its own binary — a new session, the listener as fd 3, no inherited
// stdio — then writes `address` and `shim.pid` into the bundle and prints only the address.
// The daemon is reparented to init once `start` exits. All of it runs under the bundle's
// DirectoryLock, so a supervisor restarting meanwhile never finds a daemon without an `address`.
import Digest
import Errdefs
import Glibc
import Sys

public enum ShimStart {
    /// The longest socket path containerd accepts.
    static let maxSocketPath = 106

    /// `<dir>/<sha256("<address>/<namespace>/<id>")>`, with `<dir>` = the `s` directory next to
    /// the supervisor's socket (`/run/containerd/s` for containerd), or `/run/berth/s` when the
    /// address is not an absolute path or that would exceed the socket path limit.
    public static func socketPath(address: String, namespace: String, id: String) -> String {
        let name = SHA256.hex(Array("\(address)/\(namespace)/\(id)".utf8))
        let preferred = "\(AtomicFile.directory(of: address))/s/\(name)"
        return address.hasPrefix("/") && preferred.utf8.count <= maxSocketPath ? preferred : "/run/berth/s/\(name)"
    }

    /// Does everything `start` does and returns the address to print (`unix://PATH`).
    public static func run(flags: ShimFlags, bundle: String, executable: String) throws(CoreError) -> String {
        guard !flags.namespace.isEmpty else { throw CoreError(.invalidArgument, "shim namespace cannot be empty") }
        guard !flags.id.isEmpty else { throw CoreError(.invalidArgument, "shim id cannot be empty") }
        drainStandardInput()
        // Held until this process exits: a restarting supervisor waits for it (DirectoryLock).
        let lock = try DirectoryLock.acquire(bundle)
        guard !lock.isRemoved else {
            throw CoreError(.failedPrecondition, "bundle \(bundle) was removed before its shim started")
        }
        defer { withExtendedLifetime(lock) {} }
        let path = flags.socket.isEmpty
            ? socketPath(address: flags.address, namespace: flags.namespace, id: flags.id)
            : String(flags.socket.hasPrefix("unix://") ? flags.socket.dropFirst("unix://".count) : flags.socket[...])
        let address = "unix://\(path)"
        if isServed(path) {
            try AtomicFile.write(Array(address.utf8), to: "\(bundle)/address")
            return address
        }
        try makeDirectory(AtomicFile.directory(of: path), mode: 0o700)
        unlink(path)  // a stale socket from a shim that died
        let listener = try UnixSocket.bind(path: path)
        guard chmod(path, 0o600) == 0 else { throw CoreError(SystemCallFailure(call: "chmod", path: path, errno: errno)) }

        var daemonFlags = flags
        daemonFlags.socket = address
        let null = try FileDescriptor.open("/dev/null", flags: O_RDWR)
        let log = openLogFifo(bundle: bundle) ?? null
        var spawn = Spawn(executable: executable, arguments: daemonFlags.daemonArguments,
                          environment: ProcessEnvironment.current())
        spawn.workingDirectory = bundle
        spawn.options = .newSession
        spawn.fileDescriptors = [null.rawValue, null.rawValue, log.rawValue, listener.rawValue]
        let pid: Int32
        do {
            pid = try withExtendedLifetime((null, log, listener)) { () throws(CoreError) -> Int32 in try spawn.start() }
        } catch {
            unlink(path)
            throw error
        }
        do {
            try AtomicFile.write(Array(String(pid).utf8), to: "\(bundle)/shim.pid")
            FaultInjection.pauseBlocking("shim-start-after-spawn")
            try AtomicFile.write(Array(address.utf8), to: "\(bundle)/address")
        } catch {
            // Nobody could find a daemon no `address` names: it must not outlive this start.
            kill(pid, SIGKILL)
            _ = try? Spawn.waitForExit(pid)
            unlink(path)
            throw error
        }
        return address
    }

    /// Whether a shim already accepts connections on `path`.
    static func isServed(_ path: String) -> Bool {
        guard let socket = try? UnixSocket.connect(path: path) else { return false }
        try? socket.close()
        return true
    }

    /// `mkdir -p` with `mode` for what it creates.
    static func makeDirectory(_ path: String, mode: mode_t) throws(CoreError) {
        if Glibc.mkdir(path, mode) == 0 || errno == EEXIST { return }
        guard errno == ENOENT, path != "/" else {
            throw CoreError(SystemCallFailure(call: "mkdir", path: path, errno: errno))
        }
        try makeDirectory(AtomicFile.directory(of: path), mode: 0o711)
        guard Glibc.mkdir(path, mode) == 0 || errno == EEXIST else {
            throw CoreError(SystemCallFailure(call: "mkdir", path: path, errno: errno))
        }
    }

    /// The bundle's `log` fifo for the daemon's stderr, if containerd made one and reads it.
    static func openLogFifo(bundle: String) -> FileDescriptor? {
        try? FileDescriptor.open("\(bundle)/log", flags: O_WRONLY | O_NONBLOCK)
    }

    /// Reads and discards what the caller sends on stdin (containerd writes runtime options or
    /// BootstrapParams there), for at most 200 ms and 4 MiB, so its writer never sees EPIPE.
    static func drainStandardInput() {
        guard isatty(0) == 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var total = 0
        let deadline = monotonicNanoseconds() + 200_000_000
        while total < 4 << 20 {
            let remaining = Int32((deadline - monotonicNanoseconds()) / 1_000_000)
            guard remaining > 0 else { return }
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, remaining) > 0 else { return }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            total += n
        }
    }
}
