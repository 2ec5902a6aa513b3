// ShimCommand: `berth-ctr shim --socket PATH --id ID state|connect` — one Task call straight at a
// shim's socket, bypassing the supervisor, as `ctr shim` does for containerd's shims (which finds
// the socket from the id; here it is given: the `address` file in the task's bundle names it).
// For debugging, and for the access-control tests, which run it as another uid.
import API
import ArgumentParser
import Errdefs
import Foundation
import Glibc
import RPCNIO
import SwiftProtobuf

struct ShimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shim", abstract: "Call a shim's Task service directly.",
        subcommands: [State.self, Connect.self])

    struct ShimOptions: ParsableArguments {
        @Option(help: "The shim's socket (unix://PATH or PATH; the bundle's `address` file).")
        var socket: String

        @Option(help: "The task's id.")
        var id: String

        @Option(name: [.short, .long], help: "Namespace sent with the call (default: $CONTAINERD_NAMESPACE, else \"default\").")
        var namespace: String?

        /// Runs `body` with a Task client on the shim's socket, closed afterwards.
        func withTask<T>(_ body: (TaskClient) async throws -> T) async throws -> T {
            let path = socket.hasPrefix("unix://") ? String(socket.dropFirst("unix://".count)) : socket
            let rpc: RPCClient
            do { rpc = try await RPCClient.connect(path: path) } catch let error as CoreError {
                if error.cause?.errno == EACCES {
                    throw CoreError(.permissionDenied, "permission denied while trying to connect to the shim socket \(path)", cause: error.cause)
                }
                throw CoreError(error.code, "cannot reach the shim at \(path): \(error.message)", cause: error.cause)
            }
            let namespaceName = namespace ?? ProcessInfo.processInfo.environment["CONTAINERD_NAMESPACE"] ?? SupervisorAPI.defaultNamespace
            do {
                let result = try await body(TaskClient(rpc: rpc, namespace: namespaceName))
                await rpc.close()
                return result
            } catch {
                await rpc.close()
                throw error
            }
        }
    }

    struct State: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The task's state, as JSON.")
        @OptionGroup var options: ShimOptions

        func run() async throws {
            let state = try await options.withTask { task in
                var request = Containerd_Task_V2_StateRequest()
                request.id = options.id
                return try await task.state(request, timeout: .seconds(10))
            }
            var json = JSONEncodingOptions()
            json.preserveProtoFieldNames = true
            Table.print(try state.jsonString(options: json) + "\n")
        }
    }

    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The shim's and the task's pids.")
        @OptionGroup var options: ShimOptions

        func run() async throws {
            let response = try await options.withTask { task in
                var request = Containerd_Task_V2_ConnectRequest()
                request.id = options.id
                return try await task.connect(request, timeout: .seconds(10))
            }
            Table.print("shim pid \(response.shimPid)\ntask pid \(response.taskPid)\n")
        }
    }
}
