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

/// A verb that HotCommand carries out (the same code as the fast path's).
protocol HotVerb: ParsableCommand {
    var global: GlobalOptions { get }
    var hot: HotCommand { get }
}

extension HotVerb {
    func runHot() throws {
        let code = hot.execute(global.settings)
        if code != 0 { throw ExitCode(code) }
    }
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

    var settings: CreateSettings {
        CreateSettings(bundle: bundle, consoleSocket: consoleSocket, pidFile: pidFile, noPivot: noPivot,
                       noNewKeyring: noNewKeyring, preserveFDs: preserveFDs)
    }
}

struct Create: HotVerb {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a container; its process waits until `start`.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var flags: CreateFlags
    @Argument(help: "The container id.") var id: String

    var hot: HotCommand { .create(id: id, flags.settings) }
    func run() throws { try runHot() }
}

struct Start: HotVerb {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Run the program of a created container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.") var id: String

    var hot: HotCommand { .start(id: id) }
    func run() throws { try runHot() }
}

struct Run: HotVerb {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and start a container; wait for it unless --detach.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var flags: CreateFlags
    @Flag(name: [.short, .long], help: "Detach from the container's process.") var detach = false
    @Argument(help: "The container id.") var id: String

    var hot: HotCommand { .run(id: id, flags.settings, detach: detach) }
    func run() throws { try runHot() }
}
