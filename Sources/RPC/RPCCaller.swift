// RPCCaller: what a typed client needs from a ttrpc transport, so that generated-message clients
// (Task, Events, berth's services) do not depend on any particular transport.
import Errdefs
import SwiftProtobuf

public protocol RPCCaller: Sendable {
    func unary(service: String, method: String, request: [UInt8], timeout: Duration?,
               metadata: Metadata) async throws -> [UInt8]
}

extension RPCCaller {
    /// A unary call with protobuf messages.
    public func call<Request: Message, Response: Message>(
        _ service: String, _ method: String, _ request: Request, returning: Response.Type = Response.self,
        timeout: Duration? = nil, metadata: Metadata = Metadata()
    ) async throws -> Response {
        let reply = try await unary(service: service, method: method, request: try request.serializedBytes(),
                                    timeout: timeout, metadata: metadata)
        do {
            return try Response(serializedBytes: reply)
        } catch {
            throw CoreError(.internal, "ttrpc: unmarshal reply of /\(service)/\(method): \(error)")
        }
    }
}
