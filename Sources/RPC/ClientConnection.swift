// ClientConnection: the client half of one ttrpc connection as a state machine with no I/O. It
// numbers streams (odd, increasing from 1, as the Go client does), encodes requests and stream
// data, and turns received bytes into per-stream events for the transport to deliver.
import Errdefs
import SwiftProtobuf

/// Something that happened on a client stream.
public enum ClientEvent: Sendable, Equatable {
    /// The final Response: the reply payload or the error status. The stream is over.
    case response(streamID: UInt32, Result<[UInt8], CoreError>)
    /// One message of a server stream.
    case data(streamID: UInt32, payload: [UInt8])
    /// The server ended its stream without error. The stream is over.
    case endOfStream(streamID: UInt32)
    /// The server is not speaking ttrpc: close the connection and fail every call.
    case protocolError(reason: String)
}

public struct ClientConnection: Sendable {
    private var nextStreamID: UInt32 = 1
    private var decoder = FrameDecoder()
    private var open = OpenStreams()

    public init() {}

    public var openStreamCount: Int { open.count }

    /// Starts a call: returns its stream id and the Request frame to write.
    public mutating func startCall(service: String, method: String, payload: [UInt8], kind: CallKind,
                                   timeout: Duration? = nil, metadata: Metadata = Metadata()) throws(CoreError) -> (streamID: UInt32, bytes: [UInt8]) {
        guard nextStreamID < UInt32.max - 1 else {
            throw CoreError(.unavailable, "ttrpc: stream ids exhausted on this connection")
        }
        var request = TTRPC_Request()
        request.service = service
        request.method = method
        request.payload = .init(payload)
        if let timeout, timeout > .zero {
            let (s, atto) = timeout.components
            request.timeoutNano = s &* 1_000_000_000 &+ atto / 1_000_000_000
        }
        request.metadata = metadata.wire
        let body: [UInt8]
        do { body = try request.serializedBytes() } catch {
            throw CoreError(.internal, "ttrpc: marshal request: \(error)")
        }
        let sid = nextStreamID
        var out: [UInt8] = []
        try Frame.append(streamID: sid, typeByte: FrameType.request.rawValue, flags: kind.requestFlags, payload: body, to: &out)
        nextStreamID += 2
        open.insert(sid)
        return (sid, out)
    }

    /// A message the client streams on `streamID`.
    public static func data(streamID: UInt32, _ payload: [UInt8]) throws(CoreError) -> [UInt8] {
        var out: [UInt8] = []
        try Frame.append(streamID: streamID, typeByte: FrameType.data.rawValue, flags: [], payload: payload, to: &out)
        return out
    }

    /// The half-close that ends the client's side of a stream (Data, remote-closed + no-data).
    public static func closeSend(streamID: UInt32) -> [UInt8] {
        [0, 0, 0, 0] + bigEndianBytes(streamID) + [FrameType.data.rawValue, FrameFlags([.remoteClosed, .noData]).rawValue]
    }

    /// Stops tracking a stream whose caller gave up (deadline, cancellation); later frames for it are dropped.
    public mutating func forget(streamID: UInt32) { open.remove(streamID) }

    /// Feeds received bytes; returns what happened to which stream.
    public mutating func receive<Bytes: Collection>(_ bytes: Bytes) -> [ClientEvent] where Bytes.Element == UInt8 {
        decoder.append(bytes)
        return decodeEvents()
    }

    /// The same for a slice of an array (FrameDecoder's concrete append).
    public mutating func receive(_ bytes: ArraySlice<UInt8>) -> [ClientEvent] {
        decoder.append(bytes)
        return decodeEvents()
    }

    private mutating func decodeEvents() -> [ClientEvent] {
        var events: [ClientEvent] = []
        while let decoded = decoder.next() {
            switch decoded {
            case .garbage(let reason):
                events.append(.protocolError(reason: reason))
                return events
            case .oversized(let sid, _, let length):
                if open.remove(sid) {
                    events.append(.response(streamID: sid, .failure(CoreError(.resourceExhausted,
                        "message length \(length) exceed maximum message size of \(TTRPC.maxMessageSize)"))))
                }
            case .frame(let frame):
                guard open.contains(frame.streamID) else { continue }  // a stream we gave up on
                switch frame.type {
                case .response:
                    open.remove(frame.streamID)
                    do {
                        let response = try TTRPC_Response(serializedBytes: frame.payload)
                        if let error = CoreError(status: response.hasStatus ? response.status : nil) {
                            events.append(.response(streamID: frame.streamID, .failure(error)))
                        } else {
                            events.append(.response(streamID: frame.streamID, .success([UInt8](response.payload))))
                        }
                    } catch {
                        events.append(.response(streamID: frame.streamID,
                            .failure(CoreError(.internal, "ttrpc: unmarshal response: \(error)"))))
                    }
                case .data:
                    if !frame.flags.contains(.noData) {
                        events.append(.data(streamID: frame.streamID, payload: frame.payload))
                    }
                    if frame.flags.contains(.remoteClosed) {
                        open.remove(frame.streamID)
                        events.append(.endOfStream(streamID: frame.streamID))
                    }
                case .request, nil:
                    events.append(.protocolError(reason: "unexpected frame type \(frame.typeByte) from a server"))
                    return events
                }
            }
        }
        return events
    }
}

func bigEndianBytes(_ value: UInt32) -> [UInt8] {
    var out: [UInt8] = []
    appendBigEndian(value, to: &out)
    return out
}
