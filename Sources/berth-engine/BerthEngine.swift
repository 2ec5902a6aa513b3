// berth-engine: berth's dockerd — containers by name, images by reference, logs, restart
// policies, events — over berth-supervisor, which it starts as its child unless --supervisor
// names a running one. All logic is in EngineCore; see docs/architecture.md.
import ArgumentParser
import EngineCore
import Foundation
import Logging
import RPCNIO
import Systemd

@main
enum Main {
    static func main() async {
        DaemonMemory.configure()  // before any other thread starts
        await BerthEngine.main()
    }
}

struct BerthEngine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth-engine",
        abstract: "berth's container engine (like dockerd): containers, images, logs, restart policies, events.")

    @Option(name: .customLong("data-root"), help: "Persistent state: containers, logs, the supervisor's root.")
    var dataRoot = "/var/lib/berth"

    @Option(name: .customLong("exec-root"), help: "Runtime state: sockets, the supervisor's state.")
    var execRoot = "/run/berth"

    @Option(name: [.customShort("H"), .long], help: "Where to listen: unix:///PATH, or fd:// for systemd socket activation.")
    var host = "unix:///run/berth/engine.sock"

    @Option(help: "The group that owns the engine socket (mode 0660).")
    var group: String?

    @Option(help: "A running berth-supervisor's socket; without it the engine starts its own.")
    var supervisor: String?

    @Option(name: .customLong("supervisor-binary"), help: "berth-supervisor's path (default: next to this binary).")
    var supervisorBinary: String?

    @Option(name: .customLong("supervisor-namespace"), help: "The supervisor namespace of the engine's containers and images.")
    var supervisorNamespace = "berth"

    @Option(name: .customLong("cgroup-parent"), help: "The cgroup containers are created under.")
    var cgroupParent = "/berth"

    @Option(name: .customLong("journald-socket"), help: "The systemd journal's socket (for --log-driver journald).")
    var journaldSocket = "/run/systemd/journal/socket"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown --log-level \(logLevel)") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "berth.engine")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let supervisorPath = supervisorBinary ?? binary.deletingLastPathComponent().appendingPathComponent("berth-supervisor").path
        var config = EngineConfig(dataRoot: dataRoot, execRoot: execRoot, supervisorAddress: supervisor, supervisorBinary: supervisorPath)
        config.namespace = supervisorNamespace
        config.journalSocket = journaldSocket
        config.cgroupParent = cgroupParent.hasPrefix("/") ? cgroupParent : "/" + cgroupParent
        var socketPath: String?
        var listenFD: Int32?
        if host.hasPrefix("fd://") {
            guard let fd = try SocketActivation.listenFileDescriptors().first else {
                throw ValidationError("-H fd:// but no socket was passed (LISTEN_FDS is not set for this process)")
            }
            listenFD = fd
        } else if host.hasPrefix("unix://") {
            socketPath = String(host.dropFirst("unix://".count))
        } else if host.hasPrefix("/") {
            socketPath = host
        } else {
            throw ValidationError("-H \(host): only unix:///PATH and fd:// are supported (no TCP listener without TLS)")
        }
        _ = try await EngineDaemon.start(config: config, socketPath: socketPath, listenFD: listenFD, group: group, logger: logger)
        _ = try? SystemdNotifier.ready()
        // Serve until killed; after each busy spell, give back the code and heap pages idling does
        // not need.
        await DaemonMemory.releaseWhenIdle()
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

