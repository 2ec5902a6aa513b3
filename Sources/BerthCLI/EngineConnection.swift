// EngineConnection: reaching berth-engine — the socket from $BERTH_HOST (set by -H) or the
// default, and a clear error when nothing answers there or the user may not connect.
import API
import Errdefs
import Foundation
import RPCNIO

struct EngineConnection {
    let rpc: RPCClient
    let client: EngineClient

    static var address: String {
        ProcessInfo.processInfo.environment["BERTH_HOST"] ?? EngineAPI.defaultAddress
    }

    static func open() async throws -> EngineConnection {
        let address = Self.address
        guard address.hasPrefix("unix://") || address.hasPrefix("/") else {
            throw CLIError(message: "berth: -H \(address): only unix:// addresses are supported", code: 125)
        }
        let path = address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
        do {
            let rpc = try await RPCClient.connect(path: path)
            return EngineConnection(rpc: rpc, client: EngineClient(rpc: rpc))
        } catch {
            // docker's words when the socket's owner, group or directory keep the user out.
            if access(path, W_OK) != 0 && errno == EACCES {
                throw CLIError(message: "permission denied while trying to connect to the berth engine socket at unix://\(path): "
                                   + "connect: permission denied (are you root or in the engine's --group?)", code: 1)
            }
            throw CLIError(message: "Cannot connect to the berth engine at unix://\(path). Is berth-engine running?", code: 1)
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
