// SupervisorLink: the engine's one connection to berth-supervisor, in the engine's namespace.
// A call that fails because the connection dropped (the supervisor restarting) reconnects and is
// tried again until `patience` runs out, so a supervisor restart is a pause, not an error.
import API
import Errdefs
import Logging
import RPC
import RPCNIO

public actor SupervisorLink {
    let path: String
    let namespace: String
    let patience: Duration
    private var connection: RPCClient?

    public init(path: String, namespace: String, patience: Duration = .seconds(30)) {
        self.path = path
        self.namespace = namespace
        self.patience = patience
    }

    /// The current connection, made if needed.
    public func rpc() async throws -> RPCClient {
        if let connection { return connection }
        let made = try await RPCClient.connect(path: path)
        connection = made
        return made
    }

    /// Forgets a connection that failed (a later call makes a new one).
    func drop(_ failed: RPCClient) async {
        if connection === failed { connection = nil }
        await failed.close()
    }

    /// Runs `body` with a client; on `unavailable` reconnects and retries until `patience` is spent.
    public func run<T: Sendable>(_ body: @Sendable (SupervisorClient) async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + patience
        var delay = Duration.milliseconds(20)
        while true {
            let rpc: RPCClient
            do { rpc = try await self.rpc() } catch {
                guard ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
                continue
            }
            do {
                return try await body(SupervisorClient(rpc: rpc, namespace: namespace, timeout: nil))
            } catch let error as CoreError where error.code == .unavailable {
                await drop(rpc)
                guard ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
    }

    public func close() async {
        await connection?.close()
        connection = nil
    }
}
