// RPCServer: a ttrpc server on a unix socket, carried by swift-nio. Each accepted connection runs a
// ServerConnection state machine on its event loop; every call runs as its own Swift task, so a
// call that blocks (the shim API's Wait) never delays the others on the same connection.
import Errdefs
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RPC
#if canImport(Glibc)
import Glibc
#endif

/// Decides, from the peer's SO_PEERCRED, whether a connection is served.
public typealias PeerAuthorizer = @Sendable (PeerCredentials) -> Bool

public final class RPCServer: Sendable {
    private let registry: ServiceRegistry
    private let group: any EventLoopGroup
    private let logger: Logger
    private let authorize: PeerAuthorizer
    private let state = NIOLockedValueBox(State())

    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var path: String?
    }

    /// Accepts only peers running as our own effective uid and gid, as containerd's shims do.
    public static let sameUser: PeerAuthorizer = { peer in
        peer.uid == geteuid() && peer.gid == getegid()
    }
    /// Accepts any peer the socket's permissions let in (root may always connect).
    public static let anyPeer: PeerAuthorizer = { _ in true }

    public init(registry: ServiceRegistry, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "berth.rpc.server"), authorize: @escaping PeerAuthorizer = RPCServer.sameUser) {
        self.registry = registry
        self.group = group
        self.logger = logger
        self.authorize = authorize
    }

    /// The path listened on, if any.
    public var path: String? { state.withLockedValue { $0.path } }

    /// Number of open client connections.
    public var connectionCount: Int { state.withLockedValue { $0.connections.count } }

    /// Listens at `path`: its directory is created (0700) if needed, a stale socket file is
    /// replaced, and the socket is made 0600.
    public func listen(path: String) async throws {
        try SocketPath.prepareDirectory(for: path)
        let channel = try await bootstrap().bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        do { try SocketPath.restrict(path) } catch {
            try? await channel.close()
            throw error
        }
        state.withLockedValue {
            $0.listener = channel
            $0.path = path
        }
        logger.debug("listening", metadata: ["address": "unix://\(path)"])
    }

    /// Serves on a socket that is already bound and listening (inherited from a parent, or from
    /// systemd socket activation). The server takes ownership of the descriptor.
    public func listen(fileDescriptor fd: Int32) async throws {
        let channel = try await bootstrap().withBoundSocket(fd).get()
        state.withLockedValue { $0.listener = channel }
    }

    /// Stops accepting and closes every connection; calls in progress are cancelled.
    public func close() async {
        let (listener, connections, path) = state.withLockedValue { s in
            defer { s.listener = nil; s.connections = [:] }
            return (s.listener, Array(s.connections.values), s.path)
        }
        try? await listener?.close()
        for connection in connections { try? await connection.close() }
        if let path { unlink(path) }
    }

    private func bootstrap() -> ServerBootstrap {
        let registry = self.registry
        let logger = self.logger
        let authorize = self.authorize
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .childChannelInitializer { [state] channel in
                Self.peerCredentials(of: channel).flatMapThrowing { peer in
                    guard authorize(peer) else {
                        logger.warning("refused connection", metadata: ["uid": "\(peer.uid)", "pid": "\(peer.pid)"])
                        // Its first call gets the reason, then the connection is closed.
                        let refusal = CoreError(.permissionDenied, "permission denied: peer uid \(peer.uid) gid \(peer.gid) is not allowed on this socket")
                        try channel.pipeline.syncOperations.addHandler(
                            ServerConnectionHandler(machine: ServerConnection(registry: registry, peer: peer), logger: logger, refusal: refusal))
                        return
                    }
                    let id = ObjectIdentifier(channel)
                    state.withLockedValue { $0.connections[id] = channel }
                    channel.closeFuture.whenComplete { _ in
                        _ = state.withLockedValue { $0.connections.removeValue(forKey: id) }
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ServerConnectionHandler(machine: ServerConnection(registry: registry, peer: peer), logger: logger))
                }
            }
    }

    /// SO_PEERCRED of an accepted unix-socket connection (the handshake check of containerd's shims).
    private static func peerCredentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(CoreError(.permissionDenied, "peer credentials unavailable"))
        }
        let future: EventLoopFuture<PeerCred> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        return future.map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }
    }
}

/// `struct ucred` from <sys/socket.h>, which Glibc's Swift module hides (it needs _GNU_SOURCE).
struct PeerCred {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
