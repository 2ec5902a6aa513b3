// ServerConnection: the server half of one ttrpc connection as a state machine with no I/O.
// The transport feeds it received bytes and performs the actions it returns: start a handler,
// hand a streamed message to a running handler, send bytes, or close the connection. Protocol
// violations are answered on the offending stream with InvalidArgument, as containerd/ttrpc does.
import Errdefs
import SwiftProtobuf

/// A call the transport must run.
public struct Invocation: Sendable {
    public var streamID: UInt32
    public var handler: MethodHandler
    public var context: CallContext
    /// The request message for unary and server-streaming calls; for client-streaming calls, a
    /// first message carried in the Request frame, if any.
    public var payload: [UInt8]?
}

/// What the transport must do next, in order.
public enum ServerAction: Sendable {
    case invoke(Invocation)
    /// A message for the running client-streaming handler of this stream.
    case deliver(streamID: UInt32, payload: [UInt8])
    /// The client half-closed this stream: end the handler's inbound messages.
    case endInbound(streamID: UInt32)
    /// Bytes to write (encoded frames).
    case send([UInt8])
    /// Close the connection: the peer is not speaking ttrpc.
    case close(reason: String)
}

public struct ServerConnection: Sendable {
    private enum Inbound: Sendable { case none, open, closed }

    private let registry: ServiceRegistry
    private let peer: PeerCredentials?
    private var decoder = FrameDecoder()
    private var lastStreamID: UInt32 = 0
    /// Streams whose handler is running, with whether they still accept Data from the client.
    private var active: [UInt32: Inbound] = [:]
    private var closed = false

    public init(registry: ServiceRegistry, peer: PeerCredentials? = nil) {
        self.registry = registry
        self.peer = peer
    }

    /// Number of calls in progress.
    public var activeStreamCount: Int { active.count }

    /// Feeds received bytes; returns the actions they cause.
    public mutating func receive<Bytes: Collection>(_ bytes: Bytes) -> [ServerAction] where Bytes.Element == UInt8 {
        guard !closed else { return [] }
        decoder.append(bytes)
        var actions: [ServerAction] = []
        while let decoded = decoder.next() {
            switch decoded {
            case .frame(let frame):
                handle(frame, into: &actions)
            case .oversized(let streamID, _, let length):
                actions.append(.send(Self.response(
                    streamID: streamID,
                    .failure(CoreError(.resourceExhausted,
                                       "message length \(length) exceed maximum message size of \(TTRPC.maxMessageSize)")))))
            case .garbage(let reason):
                closed = true
                actions.append(.close(reason: reason))
            }
            if closed { break }
        }
        return actions
    }

    /// The transport calls this once it has sent a stream's final frame.
    public mutating func finished(streamID: UInt32) {
        active[streamID] = nil
    }

    private mutating func handle(_ frame: Frame, into actions: inout [ServerAction]) {
        let sid = frame.streamID
        func reject(_ message: String) {
            actions.append(.send(Self.response(streamID: sid, .failure(CoreError(.invalidArgument, message)))))
        }
        guard sid % 2 == 1 else {
            return reject("StreamID must be odd for client initiated streams")
        }
        switch frame.type {
        case .request:
            guard sid > lastStreamID else {
                return reject("StreamID cannot be re-used and must increment")
            }
            lastStreamID = sid
            startCall(frame, into: &actions)
        case .data:
            switch active[sid] {
            case nil:
                return reject("StreamID is no longer active")
            case .none?:
                return reject("data on a stream that takes no data")
            case .closed?:
                return reject("data handling error: stream closed")
            case .open?:
                let close = frame.flags.contains(.remoteClosed)
                let noData = frame.flags.contains(.noData)
                if close && !frame.payload.isEmpty {
                    active[sid] = .closed
                    actions.append(.endInbound(streamID: sid))
                    return reject("data close message cannot include data")
                }
                if !noData { actions.append(.deliver(streamID: sid, payload: frame.payload)) }
                if close {
                    active[sid] = .closed
                    actions.append(.endInbound(streamID: sid))
                }
            }
        case .response, nil:
            // A client never sends responses, and unknown types have no meaning: not our peer.
            closed = true
            actions.append(.close(reason: "unexpected frame type \(frame.typeByte) from a client"))
        }
    }

    private mutating func startCall(_ frame: Frame, into actions: inout [ServerAction]) {
        let sid = frame.streamID
        let request: TTRPC_Request
        do {
            request = try TTRPC_Request(serializedBytes: frame.payload)
        } catch {
            actions.append(.send(Self.response(streamID: sid,
                .failure(CoreError(.invalidArgument, "unmarshal request error: \(error)")))))
            return
        }
        let handler: MethodHandler
        switch registry.lookup(service: request.service, method: request.method) {
        case .failure(let error):
            actions.append(.send(Self.response(streamID: sid, .failure(error))))
            return
        case .success(let found):
            handler = found
        }
        var deadline: ContinuousClock.Instant?
        if request.timeoutNano > 0 {
            deadline = ContinuousClock.now.advanced(by: .nanoseconds(request.timeoutNano))
        }
        let context = CallContext(service: request.service, method: request.method,
                                  metadata: Metadata(wire: request.metadata), deadline: deadline, peer: peer)
        let payload = [UInt8](request.payload)
        let kind = handler.kind
        active[sid] = kind.clientStreams ? (frame.flags.contains(.remoteClosed) ? .closed : .open) : Inbound.none
        let first: [UInt8]? = kind.clientStreams ? (payload.isEmpty ? nil : payload) : payload
        actions.append(.invoke(Invocation(streamID: sid, handler: handler, context: context, payload: first)))
        if kind.clientStreams && active[sid] == .closed {
            actions.append(.endInbound(streamID: sid))
        }
    }

    // MARK: Encoding replies

    /// A Response frame: the final message of a unary or client-streaming call, or any error.
    public static func response(streamID: UInt32, _ result: Result<[UInt8], CoreError>) -> [UInt8] {
        var response = TTRPC_Response()
        switch result {
        case .success(let payload):
            response.payload = .init(payload)
        case .failure(let error):
            response.status = error.rpcStatus
        }
        var out: [UInt8] = []
        do {
            let body: [UInt8] = try response.serializedBytes()
            try Frame.append(streamID: streamID, typeByte: FrameType.response.rawValue, flags: [], payload: body, to: &out)
        } catch {
            // The reply itself is over the cap: say so instead of sending it.
            return Self.response(streamID: streamID, .failure(CoreError(.resourceExhausted,
                "response exceeds maximum message size of \(TTRPC.maxMessageSize)")))
        }
        return out
    }

    /// A Data frame of a server stream; `last` ends the stream (flags remote-closed, plus no-data
    /// when there is no payload).
    public static func data(streamID: UInt32, _ payload: [UInt8]?, last: Bool) throws(CoreError) -> [UInt8] {
        var flags: FrameFlags = last ? .remoteClosed : []
        if payload == nil { flags.insert(.noData) }
        var out: [UInt8] = []
        try Frame.append(streamID: streamID, typeByte: FrameType.data.rawValue, flags: flags, payload: payload ?? [], to: &out)
        return out
    }
}
