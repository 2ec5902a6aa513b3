// BerthCtr: berth-ctr's command tree — ctr's nouns and verbs against berth-supervisor. The
// global options say which supervisor (`--address/-a`) and which namespace (`--namespace/-n`,
// or $CONTAINERD_NAMESPACE) every call is for.
import API
import ArgumentParser
import Errdefs
import Foundation
import RPCNIO

public struct BerthCtr: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "berth-ctr",
        abstract: "Debug client for berth-supervisor (like ctr for containerd).",
        subcommands: [NamespacesCommand.self, ContainersCommand.self, TasksCommand.self, ImagesCommand.self, SnapshotsCommand.self, RunCommand.self, EventsCommand.self,
                      ShimCommand.self])

    public init() {}

    /// ctr takes its global flags before the command (`berth-ctr -n ns tasks ls`); ArgumentParser
    /// takes options after the subcommand they belong to. Leading global flags are therefore
    /// lifted out and passed on through the environment, which the options' defaults read.
    public static func entry() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        while let first = arguments.first, first.hasPrefix("-") {
            let (name, inline) = first.contains("=") ? (String(first.split(separator: "=", maxSplits: 1)[0]), String(first.split(separator: "=", maxSplits: 1)[1])) : (first, nil)
            let variable: String
            switch name {
            case "-a", "--address": variable = "BERTH_SUPERVISOR_ADDRESS"
            case "-n", "--namespace": variable = "CONTAINERD_NAMESPACE"
            default: variable = ""
            }
            guard !variable.isEmpty else { break }
            arguments.removeFirst()
            guard let value = inline ?? (arguments.isEmpty ? nil : arguments.removeFirst()) else { break }
            setenv(variable, value, 1)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The supervisor's socket; -a before the command (default: $BERTH_SUPERVISOR_ADDRESS, else /run/berth/supervisor/supervisor.sock).")
    var address = ProcessInfo.processInfo.environment["BERTH_SUPERVISOR_ADDRESS"] ?? "/run/berth/supervisor/supervisor.sock"

    @Option(name: [.short, .long], help: "Namespace to use (default: $CONTAINERD_NAMESPACE, else \"default\").")
    var namespace: String?

    var namespaceName: String {
        namespace ?? ProcessInfo.processInfo.environment["CONTAINERD_NAMESPACE"] ?? SupervisorAPI.defaultNamespace
    }

    /// A client for the chosen supervisor and namespace.
    func connect() async throws -> (SupervisorClient, RPCClient) {
        let path = address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
        let rpc: RPCClient
        do { rpc = try await RPCClient.connect(path: path) } catch {
            throw CoreError(.unavailable, "cannot reach berth-supervisor at \(path): is it running? (\(error))")
        }
        return (SupervisorClient(rpc: rpc, namespace: namespaceName), rpc)
    }
}

/// `--format table|json` for listings.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Runs `body` with a client, closing the connection afterwards.
func withClient<T>(_ options: GlobalOptions, _ body: (SupervisorClient) async throws -> T) async throws -> T {
    let (client, rpc) = try await options.connect()
    do {
        let result = try await body(client)
        await rpc.close()
        return result
    } catch {
        await rpc.close()
        throw error
    }
}
