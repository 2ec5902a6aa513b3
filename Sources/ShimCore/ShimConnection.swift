// ShimConnection: the server half of one ttrpc connection, for unary calls only (every Task API
// method is unary), as a state machine with no I/O. The transport feeds received bytes and
// performs the returned actions. Protocol violations are answered on the offending stream with
// InvalidArgument, as containerd/ttrpc does (shared notes §1.4); a peer that is not speaking
// ttrpc at all is disconnected. This mirrors RPC.ServerConnection without SwiftProtobuf or async.
import Errdefs
import RPCFraming

/// A call to dispatch: the stream it arrived on and the decoded ttrpc.Request.
public struct ShimCall: Sendable {
    public var streamID: UInt32
    public var request: TTRPCRequest
}

/// What the transport must do next, in order.
public enum ShimConnectionAction: Sendable {
    case call(ShimCall)
    /// Encoded frames to write.
    case send([UInt8])
    /// Close the connection: the peer is not speaking ttrpc.
    case close(reason: String)
}

public struct ShimConnection: Sendable {
    private var decoder = FrameDecoder()
    private var lastStreamID: UInt32 = 0
    private var closed = false

    public init() {}

    /// Feeds received bytes; returns the actions they cause.
    public mutating func receive<Bytes: Collection>(_ bytes: Bytes) -> [ShimConnectionAction] where Bytes.Element == UInt8 {
        guard !closed else { return [] }
        decoder.append(bytes)
        var actions: [ShimConnectionAction] = []
        while !closed, let decoded = decoder.next() {
            switch decoded {
            case .frame(let frame):
                handle(frame, into: &actions)
            case .oversized(let streamID, _, let length):
                actions.append(.send(Self.response(streamID: streamID, .failure(CoreError(.resourceExhausted,
                    "message length \(length) exceed maximum message size of \(TTRPC.maxMessageSize)")))))
            case .garbage(let reason):
                closed = true
                actions.append(.close(reason: reason))
            }
        }
        return actions
    }

    private mutating func handle(_ frame: Frame, into actions: inout [ShimConnectionAction]) {
        let sid = frame.streamID
        func reject(_ message: String) {
            actions.append(.send(Self.response(streamID: sid, .failure(CoreError(.invalidArgument, message)))))
        }
        guard sid % 2 == 1 else { return reject("StreamID must be odd for client initiated streams") }
        switch frame.type {
        case .request:
            guard sid > lastStreamID else { return reject("StreamID cannot be re-used and must increment") }
            lastStreamID = sid
            do {
                let request = try TTRPCRequest(protoBytes: frame.payload)
                actions.append(.call(ShimCall(streamID: sid, request: request)))
            } catch {
                reject("unmarshal request error: \(error.message)")
            }
        case .data:
            // No Task method takes client data: every stream is finished once its Request arrived.
            reject("StreamID is no longer active")
        case .response, nil:
            closed = true
            actions.append(.close(reason: "unexpected frame type \(frame.typeByte) from a client"))
        }
    }

    /// A Response frame carrying `result` on `streamID`. A reply over the 4 MiB cap becomes a
    /// ResourceExhausted error instead.
    public static func response(streamID: UInt32, _ result: Result<[UInt8], CoreError>) -> [UInt8] {
        var out: [UInt8] = []
        do {
            try Frame.append(streamID: streamID, typeByte: FrameType.response.rawValue, flags: [],
                             payload: TTRPCResponse(result).protoBytes, to: &out)
        } catch {
            return response(streamID: streamID, .failure(CoreError(.resourceExhausted,
                "response exceeds maximum message size of \(TTRPC.maxMessageSize)")))
        }
        return out
    }
}
