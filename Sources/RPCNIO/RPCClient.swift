// RPCClient: a ttrpc client over a unix socket, carried by swift-nio. One connection carries any
// number of concurrent calls of all four shapes; a dropped connection fails them all with
// `unavailable`. Typed helpers for swift-protobuf messages are in RPCClient+Typed.swift.
import Errdefs
import NIOCore
import NIOPosix
import RPC

public final class RPCClient: Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<ClientConnectionHandler>

    private init(channel: any Channel, handler: NIOLoopBound<ClientConnectionHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects to a server listening at `path` (a `unix://` prefix is accepted). Fails fast with
    /// `unavailable` when nothing listens there.
    public static func connect(path: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> RPCClient {
        let socketPath = path.hasPrefix("unix://") ? String(path.dropFirst("unix://".count)) : path
        let eventLoop = group.any()
        do {
            let channel = try await ClientBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ClientConnectionHandler())
                    }
                }
                .connect(unixDomainSocketPath: socketPath).get()
            let handler = try await channel.eventLoop.submit {
                guard let handler = try? channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self) else {
                    // The server closed the connection at once (its peer check refused us).
                    throw CoreError(.unavailable, "ttrpc: connection to \(socketPath) closed by the server")
                }
                return NIOLoopBound(handler, eventLoop: channel.eventLoop)
            }.get()
            return RPCClient(channel: channel, handler: handler)
        } catch let error as CoreError {
            throw error
        } catch let error as IOError {
            throw CoreError(SystemCallFailure(call: "connect", path: socketPath, errno: error.errnoCode),
                            context: "ttrpc: dial").withCode(.unavailable)
        } catch {
            throw CoreError(.unavailable, "ttrpc: dial \(socketPath): \(error)")
        }
    }

    /// Closes the connection; calls in progress fail with `unavailable`.
    public func close() async {
        try? await channel.close()
    }

    /// False once the connection has closed.
    public var isOpen: Bool { channel.isActive }

    /// Completes when the connection is gone, for whatever reason.
    public var closed: EventLoopFuture<Void> { channel.closeFuture }

    // MARK: Calls on raw payloads

    /// A unary call: one request, one reply.
    public func unary(service: String, method: String, request: [UInt8], timeout: Duration? = nil,
                      metadata: Metadata = Metadata()) async throws -> [UInt8] {
        let promise = channel.eventLoop.makePromise(of: [UInt8].self)
        let sid: UInt32
        do { sid = try await start(service, method, request, .unary, timeout, metadata, .single(promise)) } catch {
            promise.fail(error)
            throw error
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            cancel(sid)
        }
    }

    /// A server-streaming call: one request, a stream of replies.
    public func serverStreaming(service: String, method: String, request: [UInt8], timeout: Duration? = nil,
                                metadata: Metadata = Metadata()) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let sid = try await start(service, method, request, .serverStreaming, timeout, metadata, .stream(continuation))
        continuation.onTermination = { [self] reason in
            if case .cancelled = reason { cancel(sid) }
        }
        return stream
    }

    /// A client-streaming call: send messages, then `finish()` for the one reply.
    public func clientStreaming(service: String, method: String, timeout: Duration? = nil,
                                metadata: Metadata = Metadata()) async throws -> ClientStreamingCall {
        let promise = channel.eventLoop.makePromise(of: [UInt8].self)
        let sid: UInt32
        do { sid = try await start(service, method, [], .clientStreaming, timeout, metadata, .single(promise)) } catch {
            promise.fail(error)
            throw error
        }
        return ClientStreamingCall(client: self, streamID: sid, reply: promise.futureResult)
    }

    /// A bidirectional call: send messages while reading `responses`.
    public func bidirectional(service: String, method: String, timeout: Duration? = nil,
                              metadata: Metadata = Metadata()) async throws -> BidirectionalCall {
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let sid = try await start(service, method, [], .bidirectional, timeout, metadata, .stream(continuation))
        return BidirectionalCall(client: self, streamID: sid, responses: stream)
    }

    // MARK: Internals shared with the call types

    func sendData(_ sid: UInt32, _ payload: [UInt8]) async throws {
        let bytes = try ClientConnection.data(streamID: sid, payload)
        try await write(bytes)
    }

    func closeSend(_ sid: UInt32) async throws {
        try await write(ClientConnection.closeSend(streamID: sid))
    }

    private func write(_ bytes: [UInt8]) async throws {
        let handler = self.handler
        try await channel.eventLoop.flatSubmit { handler.value.write(bytes) }.get()
    }

    /// A weak reference to this connection's handler (tests: a closed connection frees it).
    func weakHandler() async throws -> WeakHandler {
        let handler = self.handler
        return try await channel.eventLoop.submit { WeakHandler(handler.value) }.get()
    }

    /// How many of this connection's deadline timers are armed (tests: a finished call leaves none).
    func armedDeadlines() async throws -> Int {
        let handler = self.handler
        return try await channel.eventLoop.submit { handler.value.armedDeadlines }.get()
    }

    private func cancel(_ sid: UInt32) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.fail(sid, CoreError(.canceled, "context canceled")) }
    }

    private func start(_ service: String, _ method: String, _ payload: [UInt8], _ kind: CallKind,
                       _ timeout: Duration?, _ metadata: Metadata,
                       _ answer: ClientConnectionHandler.Pending) async throws -> UInt32 {
        let handler = self.handler
        let box = UnsafeTransfer(answer)
        return try await channel.eventLoop.submit {
            try handler.value.start(service: service, method: method, payload: payload, kind: kind,
                                    timeout: timeout, metadata: metadata, answer: box.value)
        }.get()
    }
}

/// Moves a non-Sendable value onto the event loop that alone will use it.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A client-streaming call in progress.
public struct ClientStreamingCall: Sendable {
    let client: RPCClient
    public let streamID: UInt32
    let reply: EventLoopFuture<[UInt8]>

    public func send(_ payload: [UInt8]) async throws { try await client.sendData(streamID, payload) }

    /// Half-closes the stream and waits for the server's reply.
    public func finish() async throws -> [UInt8] {
        try await client.closeSend(streamID)
        return try await reply.get()
    }
}

/// A bidirectional call in progress.
public struct BidirectionalCall: Sendable {
    let client: RPCClient
    public let streamID: UInt32
    public let responses: AsyncThrowingStream<[UInt8], any Error>

    public func send(_ payload: [UInt8]) async throws { try await client.sendData(streamID, payload) }
    /// Tells the server the client will send no more.
    public func closeSend() async throws { try await client.closeSend(streamID) }
}

extension CoreError {
    func withCode(_ code: ErrorCode) -> CoreError {
        var copy = self
        copy.code = code
        return copy
    }
}

/// Holds a connection's handler without keeping it alive (tests).
struct WeakHandler: @unchecked Sendable {
    weak var value: ClientConnectionHandler?
    init(_ value: ClientConnectionHandler) { self.value = value }
}
