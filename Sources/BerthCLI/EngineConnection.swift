// EngineConnection: reaching berth-engine — the socket from $BERTH_HOST (set by -H) or the
// default, and a clear error when nothing answers there or the user may not connect.
import API
import Errdefs
import Foundation
import RPCNIO

struct EngineConnection {
    let rpc: RPCClient
    let client: EngineClient

    /// getenv, not ProcessInfo's environment: that builds a dictionary of every variable, whose
    /// generic metadata costs a scan of the binary's conformance records on every `ps`.
    static var address: String {
        getenv("BERTH_HOST").map { String(cString: $0) } ?? EngineAPI.defaultAddress
    }

    /// The engine socket's path from `address`; only unix sockets are served.
    static func socketPath() throws -> String {
        let address = Self.address
        guard address.hasPrefix("unix://") || address.hasPrefix("/") else {
            throw CLIError(message: "berth: -H \(address): only unix:// addresses are supported", code: 125)
        }
        return address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
    }

    /// What a failed connect to `path` tells the user.
    static func connectFailure(_ path: String) -> CLIError {
        // docker's words when the socket's owner, group or directory keep the user out.
        if access(path, W_OK) != 0 && errno == EACCES {
            return CLIError(message: "permission denied while trying to connect to the berth engine socket at unix://\(path): "
                                + "connect: permission denied (are you root or in the engine's --group?)", code: 1)
        }
        return CLIError(message: "Cannot connect to the berth engine at unix://\(path). Is berth-engine running?", code: 1)
    }

    static func open() async throws -> EngineConnection {
        let path = try socketPath()
        do {
            let rpc = try await RPCClient.connect(path: path)
            return EngineConnection(rpc: rpc, client: EngineClient(rpc: rpc))
        } catch {
            throw connectFailure(path)
        }
    }

    func close() async { await rpc.close() }
}

/// Runs `body` with a connection to the engine, closed afterwards.
func withEngine<T>(_ body: (EngineConnection) async throws -> T) async throws -> T {
    let connection = try await EngineConnection.open()
    do {
        let result = try await body(connection)
        await connection.close()
        return result
    } catch {
        await connection.close()
        throw error
    }
}
