// EngineCall: one unary call to berth-engine on a connection of its own, made on the calling
// thread (EngineSession) — for commands that make a single call (`ps`, `version`).
import RPC
import SwiftProtobuf

enum EngineCall {
    /// Calls /`service`/`method` with `request` and decodes its reply.
    static func unary<Request: Message, Response: Message>(_ service: String, _ method: String,
                                                           _ request: Request) throws -> Response {
        var session = try EngineSession()
        return try session.unary(service, method, request)
    }
}
