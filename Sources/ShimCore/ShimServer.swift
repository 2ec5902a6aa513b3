// ShimServer: the ttrpc transport of berth-shim on the event loop. It accepts connections on the
// listening socket (same-uid peers only, as containerd's shim checks SO_PEERCRED: another uid's
// first call is answered "permission denied: peer uid N …", then its connection closes), feeds their
// bytes to a ShimConnection each, hands calls to the dispatcher, and writes replies — at once or,
// for a parked call such as Wait, whenever `reply` is called later. Sockets are non-blocking and
// unsent bytes wait for POLLOUT, so a slow client never stalls the loop.
import Errdefs
import Glibc
import Sys

/// Where a parked call's reply goes.
public struct ReplyToken: Hashable, Sendable {
    public var connection: Int
    public var streamID: UInt32
}

/// What the dispatcher did with a call.
public enum CallOutcome: Sendable {
    /// Answer now.
    case reply(Result<[UInt8], CoreError>)
    /// The dispatcher keeps the token and calls `ShimServer.reply` later.
    case pending
}

public final class ShimServer {
    public typealias Dispatcher = (_ request: TTRPCRequest, _ token: ReplyToken) -> CallOutcome

    private final class Connection {
        let fd: FileDescriptor
        var session = ShimConnection()
        var outbound: [UInt8] = []
        /// Set for a peer the uid check refused: its first call gets this error, nothing is dispatched.
        let refusal: CoreError?
        /// Closed once `outbound` is written (after a refusal's answer).
        var closeWhenFlushed = false
        init(fd: FileDescriptor, refusal: CoreError? = nil) {
            self.fd = fd
            self.refusal = refusal
        }
    }

    /// Refused peers kept open at once, each at most `refusedLifetime` ms, waiting for the call
    /// their answer goes to; beyond that they are closed without a word.
    static let maxRefusedConnections = 8
    static let refusedLifetime: Int64 = 5_000

    private let listener: FileDescriptor
    private let loop: ShimEventLoop
    private let log: ShimLog
    private var connections: [Int: Connection] = [:]
    private var nextConnectionID = 1
    private var readBuffer = [UInt8](repeating: 0, count: 16 << 10)
    /// Handles each call; set before `start()`.
    public var dispatcher: Dispatcher = { _, _ in .reply(.failure(CoreError(.unavailable, "shim is starting"))) }
    /// Told when a connection goes away, so parked calls for it can be dropped.
    public var connectionClosed: (Int) -> Void = { _ in }

    public init(listener: FileDescriptor, loop: ShimEventLoop, log: ShimLog) {
        self.listener = listener
        self.loop = loop
        self.log = log
    }

    public var connectionCount: Int { connections.count }

    /// Whether replies are still waiting to be written.
    public var hasPendingOutput: Bool { connections.values.contains { !$0.outbound.isEmpty } }

    public func start() throws(CoreError) {
        try listener.setNonBlocking(true)
        loop.watch(listener.rawValue, .readable) { [unowned self] _ in acceptPending() }
    }

    /// Stops accepting; existing connections stay until `closeAll`.
    public func stopListening() {
        loop.unwatch(listener.rawValue)
        try? listener.close()
    }

    public func closeAll() {
        for id in Array(connections.keys) { drop(id, reason: nil) }
    }

    /// Sends the reply of a parked call; dropped silently if its connection is gone.
    public func reply(_ token: ReplyToken, _ result: Result<[UInt8], CoreError>) {
        guard connections[token.connection] != nil else { return }
        send(ShimConnection.response(streamID: token.streamID, result), on: token.connection)
    }

    private func acceptPending() {
        while true {
            let accepted: FileDescriptor?
            do {
                accepted = try UnixSocket.accept(from: listener)
            } catch {
                log.warn("accept: \(error.message)")
                return
            }
            guard let fd = accepted else { return }
            var refusal: CoreError?
            do {
                let peer = try UnixSocket.peerCredentials(of: fd)
                if peer.uid != geteuid() {
                    log.warn("refused connection from uid \(peer.uid) (pid \(peer.pid)): not our uid")
                    let refused = connections.values.filter { $0.refusal != nil }.count
                    guard refused < Self.maxRefusedConnections else { continue }  // `fd` closes when it goes out of scope
                    refusal = CoreError(.permissionDenied, "permission denied: peer uid \(peer.uid) gid \(peer.gid) is not allowed on this shim's socket (uid \(geteuid()) only)")
                }
            } catch {
                log.warn("peer credentials: \(error.message)")
                continue
            }
            let id = nextConnectionID
            nextConnectionID += 1
            connections[id] = Connection(fd: fd, refusal: refusal)
            loop.watch(fd.rawValue, .readable) { [unowned self] events in service(id, events) }
            if refusal != nil {
                loop.after(milliseconds: Self.refusedLifetime) { [unowned self] in drop(id, reason: nil) }
            }
        }
    }

    private func service(_ id: Int, _ events: PollEvents) {
        if events.contains(.writable) { flush(id) }
        guard let connection = connections[id] else { return }
        if events.contains(.readable) || events.contains(.hangup) { readAvailable(id, connection) }
    }

    private func readAvailable(_ id: Int, _ connection: Connection) {
        // Bounded so that one chatty client cannot starve the rest of the loop.
        for _ in 0..<16 {
            let count = readBuffer.withUnsafeMutableBytes { buffer in
                connection.fd.withRawValue { Glibc.read($0, buffer.baseAddress, buffer.count) }
            }
            if count == 0 { return drop(id, reason: nil) }
            if count < 0 {
                let code = errno
                if code == EAGAIN || code == EINTR { return }
                return drop(id, reason: "read: errno \(code)")
            }
            for action in connection.session.receive(readBuffer[0..<count]) {
                guard connections[id] != nil else { return }
                switch action {
                case .call(let call):
                    if let refusal = connection.refusal {
                        // Answered with the reason, never dispatched; closed once the answer is out.
                        connection.closeWhenFlushed = true
                        return send(ShimConnection.response(streamID: call.streamID, .failure(refusal)), on: id)
                    }
                    let token = ReplyToken(connection: id, streamID: call.streamID)
                    if case .reply(let result) = dispatcher(call.request, token) {
                        reply(token, result)
                    }
                case .send(let bytes):
                    send(bytes, on: id)
                case .close(let reason):
                    return drop(id, reason: reason)
                }
            }
        }
    }

    private func send(_ bytes: [UInt8], on id: Int) {
        guard let connection = connections[id] else { return }
        connection.outbound.append(contentsOf: bytes)
        flush(id)
    }

    /// Writes what it can; waits for POLLOUT for the rest.
    private func flush(_ id: Int) {
        guard let connection = connections[id] else { return }
        while !connection.outbound.isEmpty {
            let written = connection.outbound.withUnsafeBytes { buffer in
                connection.fd.withRawValue { Glibc.send($0, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
            }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN { break }
                return drop(id, reason: "write: errno \(code)")
            }
            connection.outbound.removeFirst(written)
        }
        if connection.outbound.isEmpty && connection.closeWhenFlushed { return drop(id, reason: nil) }
        loop.update(connection.fd.rawValue, connection.outbound.isEmpty ? .readable : [.readable, .writable])
    }

    private func drop(_ id: Int, reason: String?) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        if let reason { log.warn("closing connection \(id): \(reason)") }
        loop.unwatch(connection.fd.rawValue)
        try? connection.fd.close()
        connectionClosed(id)
    }
}
