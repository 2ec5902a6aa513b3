// EngineCall: one unary call to berth-engine made on the calling thread — connect, write the
// Request frame, read until its Response, close — for commands that make a single call (`ps`,
// `version`). No event loop, no thread pool and no hop between threads: on a machine busy
// running containers every thread a CLI wakes waits for a CPU again, and these commands are
// the ones people and scripts run while it is busy. Other commands use EngineConnection (NIO).
import API
import Errdefs
import Glibc
import RPC
import SwiftProtobuf
import Sys

enum EngineCall {
    /// Calls /`service`/`method` with `request` and decodes its reply.
    static func unary<Request: Message, Response: Message>(_ service: String, _ method: String,
                                                           _ request: Request) throws -> Response {
        let path = try EngineConnection.socketPath()
        let socket: FileDescriptor
        do { socket = try UnixSocket.connect(path: path) } catch {
            throw EngineConnection.connectFailure(path)
        }
        defer { try? socket.close() }
        var connection = ClientConnection()
        let payload: [UInt8]
        do { payload = try request.serializedBytes() } catch {
            throw CoreError(.internal, "marshal /\(service)/\(method): \(error)")
        }
        let (streamID, frame) = try connection.startCall(service: service, method: method, payload: payload, kind: .unary)
        do { try socket.write(frame) } catch {
            throw CLIError(message: "berth: the engine closed the connection: \(error.message)", code: 1)
        }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = try buffer.withUnsafeMutableBytes { bytes throws(CoreError) in try socket.read(into: bytes) }
            guard count > 0 else { throw CLIError(message: "berth: the engine closed the connection before answering", code: 1) }
            for event in connection.receive(buffer[..<count]) {
                switch event {
                case .response(let id, let result) where id == streamID:
                    let reply = try result.get()
                    do { return try Response(serializedBytes: reply) } catch {
                        throw CoreError(.internal, "ttrpc: unmarshal reply of /\(service)/\(method): \(error)")
                    }
                case .protocolError(let reason):
                    throw CoreError(.internal, "ttrpc: \(reason)")
                default:
                    continue
                }
            }
        }
    }
}
