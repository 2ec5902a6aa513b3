// EngineSession: calls to berth-engine over one connection, made on the calling thread — the
// Request and Data frames written as the caller makes them, replies read with blocking reads and
// handed back as ClientEvents in the order they came. No event loop, no thread pool and no hop
// between threads: on a machine busy running containers every thread a CLI wakes waits for a
// CPU again. `ps`, `version` (EngineCall) and a plain `berth run` (PlainRun) use it; commands
// that copy a terminal or stdin use EngineConnection (NIO).
import API
import Errdefs
import Glibc
import RPC
import SwiftProtobuf
import Sys

struct EngineSession {
    private let socket: FileDescriptor  // closed when the last copy of the session goes
    private var connection = ClientConnection()
    /// Events of the last read not yet handed out, oldest first.
    private var queued: [ClientEvent] = []
    private var next = 0
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    /// Connects to the engine's socket ($BERTH_HOST, -H or the default).
    init() throws {
        let path = try EngineConnection.socketPath()
        do { socket = try UnixSocket.connect(path: path) } catch {
            throw EngineConnection.connectFailure(path)
        }
    }

    /// Writes the Request of /`service`/`method` (`kind` says who streams) and returns its stream id.
    mutating func start(_ service: String, _ method: String, _ request: some Message, kind: CallKind = .unary,
                        timeout: Duration? = nil) throws -> UInt32 {
        let payload: [UInt8]
        do { payload = try request.serializedBytes() } catch {
            throw CoreError(.internal, "marshal /\(service)/\(method): \(error)")
        }
        let (streamID, frame) = try connection.startCall(service: service, method: method, payload: payload,
                                                         kind: kind, timeout: timeout)
        try write(frame)
        return streamID
    }

    /// Sends one message of the client's side of `streamID`.
    func send(_ streamID: UInt32, _ message: some Message) throws {
        let payload: [UInt8]
        do { payload = try message.serializedBytes() } catch {
            throw CoreError(.internal, "marshal a message of stream \(streamID): \(error)")
        }
        try write(try ClientConnection.data(streamID: streamID, payload))
    }

    /// Ends the client's side of `streamID`.
    func closeSend(_ streamID: UInt32) throws { try write(ClientConnection.closeSend(streamID: streamID)) }

    /// Whether an event of the last read is still waiting (then `nextEvent` does not read).
    var hasEventWaiting: Bool { next < queued.count }

    /// The connection's descriptor, for a caller that polls it beside others.
    var descriptor: Int32 { socket.rawValue }

    /// The next event of any stream, reading from the engine when none is waiting.
    mutating func nextEvent() throws -> ClientEvent {
        while next == queued.count {
            let count = try buffer.withUnsafeMutableBytes { bytes throws(CoreError) in try socket.read(into: bytes) }
            guard count > 0 else { throw CLIError(message: "berth: the engine closed the connection before answering", code: 1) }
            queued = connection.receive(buffer[..<count])
            next = 0
        }
        defer { next += 1 }
        if case .protocolError(let reason) = queued[next] { throw CoreError(.internal, "ttrpc: \(reason)") }
        return queued[next]
    }

    /// Calls /`service`/`method` and decodes its reply. Only for a session with no other call in
    /// flight: events of other streams are not kept.
    mutating func unary<Response: Message>(_ service: String, _ method: String, _ request: some Message,
                                           timeout: Duration? = nil) throws -> Response {
        let streamID = try start(service, method, request, timeout: timeout)
        while true {
            guard case .response(streamID, let result) = try nextEvent() else { continue }
            return try Self.decode(result.get(), "/\(service)/\(method)")
        }
    }

    /// `reply` (a reply or a streamed message of `call`) decoded as `Response`, or the error a garbled one is.
    static func decode<Response: Message>(_ reply: [UInt8], _ call: String) throws -> Response {
        do { return try Response(serializedBytes: reply) } catch {
            throw CoreError(.internal, "ttrpc: unmarshal reply of \(call): \(error)")
        }
    }

    private func write(_ frame: [UInt8]) throws {
        do { try socket.write(frame) } catch {
            throw CLIError(message: "berth: the engine closed the connection: \(error.message)", code: 1)
        }
    }
}
