// InitOptions: what `berth-runtime create` tells the re-exec'd `berth-runtime init` on its
// command line: where its descriptors are and which bundle to build.

import LinuxSecurity

/// Arguments of the hidden `init` command.
public struct InitOptions: Sendable, Equatable {
    /// The init's end of the SOCK_SEQPACKET sync socketpair.
    public var syncFD: Int32
    /// exec.fifo opened O_PATH; reopened for writing right before execve (blocks until `start`).
    public var fifoFD: Int32
    /// The caller's --console-socket, connected, when process.terminal is true.
    public var consoleFD: Int32?
    public var bundle: String
    public var noPivot: Bool
    /// Descriptors 3..<3+preserveFDs are handed to the container process unchanged.
    public var preserveFDs: Int32
    /// The container's id, for the state hooks receive and the name of its session keyring.
    public var containerID: String
    /// Join a new session keyring `_ses.<id>` (false with --no-new-keyring, and for exec).
    public var newKeyring: Bool
    /// For `exec`: the container's init, whose namespaces the new process joins.
    public var execTarget: Int32?
    /// For `exec`: the OCI Process (JSON) to run.
    public var processFile: String?
    /// Where compiled seccomp programs are kept (SeccompCache); nil compiles every time.
    public var seccompCache: String?
    /// The program looked up or compiled before any namespace was entered (not an argument).
    var seccompProgram: SeccompProgram?

    public init(syncFD: Int32, fifoFD: Int32, consoleFD: Int32?, bundle: String, noPivot: Bool, preserveFDs: Int32,
                containerID: String, newKeyring: Bool = false) {
        self.containerID = containerID
        self.newKeyring = newKeyring
        self.syncFD = syncFD
        self.fifoFD = fifoFD
        self.consoleFD = consoleFD
        self.bundle = bundle
        self.noPivot = noPivot
        self.preserveFDs = preserveFDs
    }

    /// The argument vector for `init`, after the program name.
    var arguments: [String] {
        var args = ["init", "--sync-fd", String(syncFD), "--fifo-fd", String(fifoFD), "--bundle", bundle,
                    "--preserve-fds", String(preserveFDs)]
        if let consoleFD { args += ["--console-fd", String(consoleFD)] }
        if noPivot { args.append("--no-pivot") }
        args += ["--id", containerID]
        if newKeyring { args.append("--new-keyring") }
        if let execTarget { args += ["--exec-target", String(execTarget)] }
        if let processFile { args += ["--process", processFile] }
        if let seccompCache { args += ["--seccomp-cache", seccompCache] }
        return args
    }
}
