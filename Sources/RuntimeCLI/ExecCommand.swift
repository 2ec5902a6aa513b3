// `exec`: run a process in a running container, from --process FILE (an OCI Process) or from a
// command line on top of the container's own process (runc's flags: --tty, --env, --cwd,
// --user, --cap, --no-new-privs, --detach, --pid-file, --console-socket, --preserve-fds).
import ArgumentParser
import Errdefs
import JSON
import OCI
import RuntimeCore
import Sys
#if canImport(Glibc)
import Glibc
#endif

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a new process inside a running container.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "OCI Process JSON file describing the process (replaces the other flags).") var process: String?
    @Flag(name: [.short, .long], help: "Allocate a pseudo-TTY (needs --console-socket).") var tty = false
    @Option(name: .customLong("console-socket"), help: "Unix socket that receives the pty master.") var consoleSocket: String?
    @Flag(name: [.short, .long], help: "Detach from the process.") var detach = false
    @Option(name: .customLong("pid-file"), help: "File to write the process's pid to.") var pidFile: String?
    @Option(name: [.short, .long], help: "Set an environment variable (KEY=VALUE).") var env: [String] = []
    @Option(name: .long, help: "Working directory in the container.") var cwd: String?
    @Option(name: [.short, .long], help: "uid[:gid] to run as.") var user: String?
    @Option(name: [.short, .customLong("cap")], help: "Add a capability (CAP_…) to the process's sets.") var cap: [String] = []
    @Flag(name: .customLong("no-new-privs"), help: "Set no_new_privs for the process.") var noNewPrivs = false
    @Option(name: .customLong("preserve-fds"), help: "Pass N more descriptors (3..3+N-1).") var preserveFDs: Int32 = 0
    @Argument(help: "The container id.") var id: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String] = []

    func run() throws {
        var code: Int32 = 0
        try reporting(global) { () throws(CoreError) in
            let spec = try buildProcess()
            var options = ExecOptions()
            options.consoleSocket = consoleSocket
            options.pidFile = pidFile
            options.detach = detach
            options.preserveFDs = preserveFDs
            code = try global.runtime.exec(id: id, process: spec, options)
        }
        if code != 0 { throw ExitCode(code) }
    }

    private func buildProcess() throws(CoreError) -> OCI.Process {
        if let process {
            let bytes = try readWhole(process, flag: "--process")
            do { return try JSONCodec.decode(OCI.Process.self, from: bytes) } catch {
                throw CoreError(.invalidArgument, "--process \(process): \(error.description)")
            }
        }
        var args = command
        if args.first == "--" { args.removeFirst() }
        guard !args.isEmpty else { throw CoreError(.invalidArgument, "exec: give a command or --process") }
        var p = try global.runtime.process(of: id)
        p.args = args
        p.terminal = tty
        p.consoleSize = nil
        if let cwd { p.cwd = cwd }
        for entry in env {
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            p.env = (p.env ?? []).filter { !$0.hasPrefix(key + "=") } + [entry]
        }
        if let user {
            let parts = user.split(separator: ":")
            guard let uid = UInt32(parts[0]), parts.count <= 2, parts.count == 1 || UInt32(parts[1]) != nil else {
                throw CoreError(.invalidArgument, "--user \(user): expected uid[:gid]")
            }
            p.user.uid = uid
            if parts.count == 2 { p.user.gid = UInt32(parts[1])! }
        }
        if !cap.isEmpty {
            var caps = p.capabilities ?? LinuxCapabilities()
            for c in cap {
                caps.bounding = (caps.bounding ?? []) + [c]
                caps.effective = (caps.effective ?? []) + [c]
                caps.permitted = (caps.permitted ?? []) + [c]
            }
            p.capabilities = caps
        }
        if noNewPrivs { p.noNewPrivileges = true }
        return p
    }
}

/// Reads a file given to `flag` whole (small files: JSON documents); errors name the flag and errno.
func readWhole(_ path: String, flag: String) throws(CoreError) -> [UInt8] {
    do {
        return try FileDescriptor.open(path, flags: O_RDONLY).readToEnd(limit: 16 << 20)
    } catch {
        throw CoreError(error.code, "\(flag) \(path): \(error.message)", cause: error.cause)
    }
}
