// Test helper: a real RPCServer on a socket in a fresh temporary directory, removed afterwards.
import Errdefs
import Foundation
import RPC
import RPCNIO

struct TestServer {
    let server: RPCServer
    let directory: String
    let path: String

    static func start(_ registry: ServiceRegistry, authorize: @escaping PeerAuthorizer = RPCServer.sameUser) async throws -> TestServer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("berth-rpc-\(UUID().uuidString.prefix(8))").path
        let path = dir + "/s/rpc.sock"
        let server = RPCServer(registry: registry, authorize: authorize)
        try await server.listen(path: path)
        return TestServer(server: server, directory: dir, path: path)
    }

    func stop() async {
        await server.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` with a server and always stops it, also when the body throws.
func withServer(_ registry: ServiceRegistry, authorize: @escaping PeerAuthorizer = RPCServer.sameUser,
                _ body: (TestServer) async throws -> Void) async throws {
    let server = try await TestServer.start(registry, authorize: authorize)
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// A one-shot signal a test can wait on and fire from anywhere.
actor Gate {
    private var open = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    func wait() async {
        if open { return }
        await withCheckedContinuation { waiters.append($0) }
    }
    func release() {
        open = true
        for w in waiters { w.resume() }
        waiters = []
    }
}
