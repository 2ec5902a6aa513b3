// RuntimeCommand: the root of berth-runtime's command tree, runc's verbs. Each verb parses its
// flags and calls one Runtime operation; errors go through RuntimeLog and exit 1, as runc's do.
import ArgumentParser
import Errdefs
import RuntimeCore

public struct RuntimeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "berth-runtime",
        abstract: "berth's OCI runtime: creates and runs containers from OCI bundles, with runc's command line.",
        version: "berth-runtime 0.1.0\nspec: 1.2.0",
        subcommands: [Create.self, Start.self, Run.self, Exec.self, State.self, Kill.self, Delete.self, List.self, Ps.self,
                      Pause.self, Resume.self, Update.self, Events.self, Features.self, SpecCommand.self,
                      Init.self])

    @OptionGroup public var global: GlobalOptions

    public init() {}
}

/// Runs an operation; a CoreError is logged the runc way and becomes exit status 1.
func reporting(_ global: GlobalOptions, _ body: () throws(CoreError) -> Void) throws {
    do {
        try body()
    } catch {
        global.logger.error(error.message)
        throw ExitCode(1)
    }
}

/// Options shared by create and run.
struct CreateFlags: ParsableArguments {
    @Option(name: [.short, .long], help: "Path to the root of the bundle directory.")
    var bundle: String = "."

    @Option(name: .customLong("console-socket"), help: "Unix socket that receives the pty master when process.terminal is true.")
    var consoleSocket: String?

    @Option(name: .customLong("pid-file"), help: "File to write the container's init pid to.")
    var pidFile: String?

    @Flag(name: .customLong("no-pivot"), help: "Do not use pivot_root (for a ramdisk root).")
    var noPivot = false

    @Flag(name: .customLong("no-new-keyring"), help: "Do not create a new session keyring.")
    var noNewKeyring = false

    @Option(name: .customLong("preserve-fds"), help: "Pass N more descriptors (3..3+N-1) to the container.")
    var preserveFDs: Int32 = 0

    var options: CreateOptions {
        var o = CreateOptions(bundle: bundle)
        o.consoleSocket = consoleSocket
        o.pidFile = pidFile
        o.noPivot = noPivot
        o.noNewKeyring = noNewKeyring
        o.preserveFDs = preserveFDs
        return o
    }
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a container; its process waits until `start`.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var flags: CreateFlags
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try reporting(global) { () throws(CoreError) in
            if global.systemdCgroup { throw CoreError(.unavailable, "--systemd-cgroup: systemd is not running on this machine") }
            try global.runtime.create(id: id, flags.options)
        }
    }
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Run the program of a created container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try reporting(global) { () throws(CoreError) in try global.runtime.start(id: id) }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and start a container; wait for it unless --detach.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var flags: CreateFlags
    @Flag(name: [.short, .long], help: "Detach from the container's process.") var detach = false
    @Argument(help: "The container id.") var id: String

    func run() throws {
        var code: Int32 = 0
        try reporting(global) { () throws(CoreError) in
            if global.systemdCgroup { throw CoreError(.unavailable, "--systemd-cgroup: systemd is not running on this machine") }
            code = try global.runtime.run(id: id, flags.options, detach: detach)
        }
        if code != 0 { throw ExitCode(code) }
    }
}
