// ClientConnectionHandler: the event-loop side of an RPCClient connection. It owns the
// ClientConnection state machine and the table of calls waiting for frames; when the connection
// drops, every waiting call fails with `unavailable` ("ttrpc: closed").
import Errdefs
import NIOCore
import NIOPosix
import RPC

final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Pending {
        /// A call answered by one Response (unary, client-streaming).
        case single(EventLoopPromise<[UInt8]>)
        /// A call answered by Data frames, ended by a final Data frame or an error Response.
        case stream(AsyncThrowingStream<[UInt8], any Error>.Continuation)
    }

    private var machine = ClientConnection()
    private var pending: [UInt32: Pending] = [:]
    /// The deadline timers of calls with a timeout, cancelled when the call ends so that no timer
    /// outlives its call (each would hold this handler and wake the loop for nothing).
    private var deadlines: [UInt32: Scheduled<Void>] = [:]
    private var context: ChannelHandlerContext?
    private var closedError: CoreError?

    /// How many deadline timers are armed (tests: a finished call leaves none).
    var armedDeadlines: Int { deadlines.count }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// Lets go of the context: it holds this handler, so keeping it would keep both alive for
    /// good after the channel closed (one pair per shim connection the supervisor ever made).
    func handlerRemoved(context: ChannelHandlerContext) {
        closeAll(CoreError(.unavailable, "ttrpc: closed"))
        self.context = nil
    }

    /// Sends a Request and registers how its answer is delivered. Runs on the event loop.
    func start(service: String, method: String, payload: [UInt8], kind: CallKind, timeout: Duration?,
               metadata: Metadata, answer: Pending) throws -> UInt32 {
        RPCActivity.note()
        if let closedError { throw closedError }
        guard let context else { throw CoreError(.unavailable, "ttrpc: closed") }
        let (sid, bytes) = try machine.startCall(service: service, method: method, payload: payload, kind: kind,
                                                  timeout: timeout, metadata: metadata)
        pending[sid] = answer
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
        if let timeout {
            // The server enforces the same deadline; this covers a server that never answers.
            let grace = Duration.milliseconds(50)
            let (s, atto) = (timeout + grace).components
            let nanos = s * 1_000_000_000 + atto / 1_000_000_000
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            deadlines[sid] = context.eventLoop.scheduleTask(in: .nanoseconds(nanos)) {
                bound.value.fail(sid, CoreError(.deadlineExceeded, "context deadline exceeded"))
            }
        }
        return sid
    }

    /// Writes stream data (or a half-close) for a call in progress.
    func write(_ bytes: [UInt8]) -> EventLoopFuture<Void> {
        guard let context, closedError == nil else {
            return (self.context?.eventLoop ?? MultiThreadedEventLoopGroup.singleton.any()).makeFailedFuture(
                closedError ?? CoreError(.unavailable, "ttrpc: closed"))
        }
        return context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)))
    }

    /// Fails one call (deadline, cancellation) and forgets its stream.
    func fail(_ sid: UInt32, _ error: CoreError) {
        guard let answer = pending.removeValue(forKey: sid) else { return }
        deadlines.removeValue(forKey: sid)?.cancel()
        machine.forget(streamID: sid)
        switch answer {
        case .single(let promise): promise.fail(error)
        case .stream(let continuation): continuation.finish(throwing: error)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        RPCActivity.note()
        let buffer = unwrapInboundIn(data)
        for event in machine.receive(buffer.readableBytesView) {
            switch event {
            case .response(let sid, let result):
                deadlines.removeValue(forKey: sid)?.cancel()
                switch pending.removeValue(forKey: sid) {
                case .single(let promise)?:
                    promise.completeWith(result.mapError { $0 as any Error })
                case .stream(let continuation)?:
                    if case .failure(let error) = result { continuation.finish(throwing: error) } else { continuation.finish() }
                case nil:
                    break
                }
            case .data(let sid, let payload):
                if case .stream(let continuation)? = pending[sid] { continuation.yield(payload) }
            case .endOfStream(let sid):
                deadlines.removeValue(forKey: sid)?.cancel()
                switch pending.removeValue(forKey: sid) {
                case .stream(let continuation)?: continuation.finish()
                case .single(let promise)?: promise.succeed([])
                case nil: break
                }
            case .protocolError(let reason):
                closeAll(CoreError(.unavailable, "ttrpc: protocol error: \(reason)"))
                context.close(promise: nil)
                return
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeAll(CoreError(.unavailable, "ttrpc: closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeAll(CoreError(.unavailable, "ttrpc: connection error: \(error)"))
        context.close(promise: nil)
    }

    private func closeAll(_ error: CoreError) {
        if closedError == nil { closedError = error }
        let waiting = pending
        pending = [:]
        for (_, deadline) in deadlines { deadline.cancel() }
        deadlines = [:]
        for (_, answer) in waiting {
            switch answer {
            case .single(let promise): promise.fail(error)
            case .stream(let continuation): continuation.finish(throwing: error)
            }
        }
    }
}
