// Spawn: start a program from a multi-threaded process (daemons, the shim) through the
// async-signal-safe berth_spawn — Swift prepares every string and table, C forks and execs.
import CLinux
import Errdefs
import Glibc

/// A description of a process to start, and `start()` to start it.
///
/// ```swift
/// let output = try Pipe()
/// var spawn = Spawn(executable: "echo", arguments: ["hello"])
/// spawn.fileDescriptors = [0, output.writeEnd.rawValue, 2]
/// let pid = try spawn.start()
/// ```
///
/// Exactly the descriptors in `fileDescriptors` reach the child (as 0, 1, 2, …); every other
/// descriptor of the caller is closed at exec. Signal dispositions and the mask are reset.
/// `start()` returns once execve has succeeded, so a missing binary or working directory is an
/// error from `start()`, not a mysterious exit code 127 later.
public struct Spawn: Sendable {
    /// Process attributes applied in the child before exec.
    public struct Options: OptionSet, Sendable {
        /// The flag bits.
        public let rawValue: Int32
        /// The set with flag bits `rawValue`.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// setsid(): lead a new session and process group, detached from any terminal.
        public static let newSession = Options(rawValue: Int32(BERTH_SPAWN_SETSID))
        /// setpgid(0, 0): lead a new process group within the caller's session.
        /// Cannot be combined with `newSession` (a session leader already leads its group).
        public static let newProcessGroup = Options(rawValue: Int32(BERTH_SPAWN_SETPGID))
        /// ioctl(TIOCSCTTY) on child fd 0, which must be a pty slave. Requires `newSession`.
        public static let controllingTerminal = Options(rawValue: Int32(BERTH_SPAWN_SETCTTY))
    }

    /// A program name (searched in PATH) or a path containing "/" (used as given).
    public var executable: String
    /// The arguments after argv[0].
    public var arguments: [String]
    /// argv[0]; nil means `executable` as written.
    public var argv0: String?
    /// The complete environment, "KEY=value" strings. Its PATH, if any, is also the search path.
    public var environment: [String]
    /// The child's working directory; nil inherits the caller's.
    public var workingDirectory: String?
    /// Descriptor map: entry i (an open descriptor of the caller) becomes child fd i. The caller
    /// keeps them open until `start()` returns. Defaults to inheriting the caller's 0, 1 and 2.
    public var fileDescriptors: [Int32]
    /// Session, process group and terminal options.
    public var options: Options
    /// Signal sent to the child when the thread that started it dies (PR_SET_PDEATHSIG), or nil.
    /// The kernel ties it to the *thread*: start from a thread that lives as long as the process.
    public var parentDeathSignal: Int32?

    /// Describes `executable` with `arguments`, an explicit `environment` and inherited stdio.
    public init(executable: String, arguments: [String] = [], environment: [String] = []) {
        self.executable = executable
        self.arguments = arguments
        self.argv0 = nil
        self.environment = environment
        self.workingDirectory = nil
        self.fileDescriptors = [0, 1, 2]
        self.options = []
        self.parentDeathSignal = nil
    }

    /// Starts the process and returns its pid once execve has succeeded. The caller owns the
    /// child: reap it (the daemon's reaper, or `Spawn.waitForExit`).
    ///
    /// Errors are CoreError with a SystemCallFailure cause naming the failing step ("execve",
    /// "chdir", "dup2", "fork", …), the path (the executable, or the directory for "chdir") and
    /// errno; a program not found is `notFound` with ENOENT.
    public func start() throws(CoreError) -> pid_t {
        let path = try resolvedExecutable()
        let argv = try CStringArray([argv0 ?? executable] + arguments, what: "argument")
        let envp = try CStringArray(environment, what: "environment")
        let fds = fileDescriptors
        var pid: pid_t = 0
        var stage: Int32 = 0
        var code: Int32 = 0
        let result = path.withCString { (cPath) -> Int32 in
            withOptionalCString(workingDirectory) { (cwd) -> Int32 in
                fds.withUnsafeBufferPointer { (fdBuffer) -> Int32 in
                    var attrs = berth_spawn_attrs()
                    attrs.path = cPath
                    attrs.argv = argv.pointer
                    attrs.envp = envp.pointer
                    attrs.cwd = cwd
                    attrs.fds = fdBuffer.baseAddress
                    attrs.nfds = Int32(fdBuffer.count)
                    attrs.flags = options.rawValue
                    attrs.pdeathsig = parentDeathSignal ?? 0
                    return berth_spawn(&attrs, &pid, &stage, &code)
                }
            }
        }
        guard result == 0 else {
            let call = String(cString: berth_spawn_stage_name(stage))
            let failedPath = stage == Int32(BERTH_SPAWN_STAGE_CHDIR) ? workingDirectory : path
            throw CoreError(SystemCallFailure(call: call, path: failedPath, errno: code), context: "spawn \(executable)")
        }
        return pid
    }
}

/// Calls `body` with a C string for `string`, or NULL when it is nil.
private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
