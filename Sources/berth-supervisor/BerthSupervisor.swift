// berth-supervisor: berth's containerd — namespaces, containers and tasks (one shim per task),
// events. All logic is in SupervisorCore; see docs/architecture.md.
import ArgumentParser
import Foundation
import Images
import Logging
import RPCNIO
import SupervisorCore
import Systemd

@main
enum Main {
    static func main() async {
        DaemonMemory.configure()  // before any other thread starts
        await BerthSupervisor.main()
    }
}

struct BerthSupervisor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth-supervisor",
        abstract: "berth's container supervisor (like containerd): containers, tasks through shims, events.")

    @Option(help: "Persistent state: container and namespace records.")
    var root = "/var/lib/berth/supervisor"

    @Option(help: "Runtime state: task bundles (survives a restart of the supervisor, not of the machine).")
    var state = "/run/berth/supervisor"

    @Option(help: "The ttrpc socket to serve (clients and shims' events).")
    var address = "/run/berth/supervisor/supervisor.sock"

    @Option(help: "berth-shim's path (default: next to this binary).")
    var shim: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "Refuse a layer whose uncompressed tar exceeds this many bytes (default $BERTH_MAX_LAYER_SIZE or 64 GiB).")
    var maxLayerSize: Int?

    @Option(help: "Refuse a layer of more entries than this (default $BERTH_MAX_LAYER_ENTRIES or 4000000).")
    var maxLayerEntries: Int?

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown --log-level \(logLevel)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "berth.supervisor")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let shimPath = shim ?? binary.deletingLastPathComponent().appendingPathComponent("berth-shim").path
        var config = SupervisorConfig(root: root, state: state, address: address, berthShim: shimPath)
        config.layerLimits = try LayerLimits.fromEnvironment(ProcessInfo.processInfo.environment)
        if let maxLayerSize { config.layerLimits.maxBytes = maxLayerSize }
        if let maxLayerEntries { config.layerLimits.maxEntries = maxLayerEntries }
        let supervisor = try Supervisor(config: config, logger: logger)
        _ = try await supervisor.start()
        _ = try? SystemdNotifier.ready()
        // Serve until killed (the server's tasks run on NIO's threads); after each busy spell, give
        // back the code and heap pages idling does not need.
        await DaemonMemory.releaseWhenIdle()
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
