// ServerConnectionHandler: runs one accepted connection. Bytes go through the ServerConnection
// state machine on the event loop; each call runs as its own task and hops back to the loop to
// send its final frame. Client-streamed messages are queued per stream (InboundBuffer); when a
// handler falls behind (16 messages queued) the connection stops reading the socket until it has
// caught up (4 or fewer), so a fast client streaming a large upload waits instead of failing —
// the flow control ttrpc lacks. Only a queue far beyond that (one read's worth of tiny frames)
// still fails its call with ttrpc's "stream buffer full".
import Errdefs
import Logging
import NIOCore
import RPC

final class ServerConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Queued client-streamed messages at which the connection stops reading, and at which it reads again.
    static let pauseAt = 16
    static let resumeAt = 4
    /// How many client-streamed messages may wait for a handler before its stream is failed.
    static let streamBufferLimit = 4096

    private struct Call {
        var task: Task<Void, Never>?
        var inbound: InboundBuffer?
        var queued = 0
        /// Set once an error already ended the stream on the wire; the handler's result is dropped.
        var answered = false
    }

    private var machine: ServerConnection
    private let logger: Logger
    private var calls: [UInt32: Call] = [:]
    private var context: ChannelHandlerContext?
    /// Reading is paused while some call's queue is long; a read asked for meanwhile waits here.
    private var paused = false
    private var readPending = false

    /// Set for a peer the server does not accept: its first call is answered with this error,
    /// then the connection is closed (a clear reason instead of a silent hang-up).
    private let refusal: CoreError?

    init(machine: ServerConnection, logger: Logger, refusal: CoreError? = nil) {
        self.machine = machine
        self.logger = logger
        self.refusal = refusal
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        RPCActivity.note()
        let buffer = unwrapInboundIn(data)
        let actions = machine.receive(buffer.readableBytesView)
        for action in actions { perform(action, context: context) }
    }

    func read(context: ChannelHandlerContext) {
        if paused { readPending = true } else { context.read() }
    }

    /// A handler took a message; `left` are still queued for it. Runs on the loop.
    private func consumed(_ sid: UInt32, left: Int) {
        guard calls[sid] != nil else { return }
        calls[sid]?.queued = left
        resumeIfCaughtUp()
    }

    private func resumeIfCaughtUp() {
        guard paused, !calls.values.contains(where: { $0.queued > Self.resumeAt }) else { return }
        paused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for (_, call) in calls {
            call.task?.cancel()
            call.inbound?.finish(throwing: CoreError(.canceled, "ttrpc: connection closed"))
        }
        calls = [:]
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func perform(_ action: ServerAction, context: ChannelHandlerContext) {
        switch action {
        case .send(let bytes):
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
        case .close(let reason):
            logger.warning("closing connection", metadata: ["reason": "\(reason)"])
            context.close(promise: nil)
        case .invoke(let invocation):
            start(invocation, context: context)
        case .deliver(let sid, let payload):
            guard let inbound = calls[sid]?.inbound, calls[sid]?.answered == false else { return }
            let queued = inbound.append(payload)
            calls[sid]?.queued = queued
            if queued > Self.streamBufferLimit {
                fail(sid, CoreError(.invalidArgument, "data handling error: ttrpc: stream buffer full"), context: context)
            } else if queued >= Self.pauseAt {
                paused = true
            }
        case .endInbound(let sid):
            calls[sid]?.inbound?.finish()
        }
    }

    /// Ends a stream with an error now; the handler is cancelled and its result dropped.
    private func fail(_ sid: UInt32, _ error: CoreError, context: ChannelHandlerContext) {
        guard var call = calls[sid], !call.answered else { return }
        call.answered = true
        call.task?.cancel()
        call.inbound?.finish(throwing: error)
        call.queued = 0
        calls[sid] = call
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: ServerConnection.response(streamID: sid, .failure(error)))), promise: nil)
        resumeIfCaughtUp()
    }

    /// Called on the loop when a call's task has its final frame ready.
    private func complete(_ sid: UInt32, final: [UInt8]) {
        if let call = calls.removeValue(forKey: sid), !call.answered, let context {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: final)), promise: nil)
        }
        machine.finished(streamID: sid)
        resumeIfCaughtUp()  // a call that ended with messages unread no longer holds reading back
    }

    private func start(_ invocation: Invocation, context: ChannelHandlerContext) {
        let sid = invocation.streamID
        if let refusal {
            let reply = ServerConnection.response(streamID: sid, .failure(refusal))
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: reply))).whenComplete { _ in context.close(promise: nil) }
            return
        }
        let channel = context.channel
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let (inbound, continuation) = Self.inboundStream(for: invocation) { left in
            loop.execute { bound.value.consumed(sid, left: left) }
        }
        let writer = ResponseWriter { payload in
            let bytes = try ServerConnection.data(streamID: sid, payload, last: false)
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
        }
        let task = Self.launch(invocation, inbound: inbound, writer: writer, channel: channel, handler: bound,
                               logger: logger.logLevel <= .debug ? logger : nil)
        calls[sid] = Call(task: task, inbound: continuation)
    }

    /// Runs the call off the loop, then hands its final frame back to the loop. With a `logger`
    /// (debug level), each call is logged with the time it took, as dockerd's debug log does.
    private static func launch(_ invocation: Invocation, inbound: InboundMessages?, writer: ResponseWriter,
                               channel: any Channel, handler: NIOLoopBound<ServerConnectionHandler>,
                               logger: Logger?) -> Task<Void, Never> {
        Task {
            let started = ContinuousClock.now
            let final = await run(invocation, inbound: inbound, writer: writer, loop: channel.eventLoop)
            if let logger {
                let elapsed = (ContinuousClock.now - started).components
                let ms = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
                logger.debug("served", metadata: [
                    "method": "/\(invocation.context.service)/\(invocation.context.method)",
                    "ms": "\((ms * 1000).rounded() / 1000)",
                ])
            }
            channel.eventLoop.execute { handler.value.complete(invocation.streamID, final: final) }
        }
    }

    /// The queued message stream of a client-streaming call, primed with the Request's payload.
    private static func inboundStream(for invocation: Invocation,
                                      consumed: @escaping @Sendable (Int) -> Void) -> (InboundMessages?, InboundBuffer?) {
        guard invocation.handler.kind.clientStreams else { return (nil, nil) }
        let buffer = InboundBuffer(consumed: consumed)
        if let first = invocation.payload { buffer.append(first) }
        return (buffer.messages, buffer)
    }

    /// Runs a handler to completion and returns the frame that ends its stream.
    private static func run(_ invocation: Invocation, inbound: InboundMessages?, writer: ResponseWriter,
                            loop: any EventLoop) async -> [UInt8] {
        let sid = invocation.streamID
        let context = invocation.context
        let payload = invocation.payload ?? []
        do {
            switch invocation.handler {
            case .unary(let body):
                let reply = try await withDeadline(context.deadline, on: loop) { try await body(payload, context) }
                return ServerConnection.response(streamID: sid, .success(reply))
            case .serverStreaming(let body):
                try await withDeadline(context.deadline, on: loop) { try await body(payload, context, writer) }
                return try ServerConnection.data(streamID: sid, nil, last: true)
            case .clientStreaming(let body):
                let messages = inbound ?? InboundMessages { $0.finish() }
                let reply = try await withDeadline(context.deadline, on: loop) { try await body(messages, context) }
                return ServerConnection.response(streamID: sid, .success(reply))
            case .bidirectional(let body):
                let messages = inbound ?? InboundMessages { $0.finish() }
                try await withDeadline(context.deadline, on: loop) { try await body(messages, context, writer) }
                return try ServerConnection.data(streamID: sid, nil, last: true)
            }
        } catch {
            return ServerConnection.response(streamID: sid, .failure(CoreError.classify(error)))
        }
    }
}
