// Typed calls: the RPCClient methods for swift-protobuf request and reply messages.
import Errdefs
import RPC
import SwiftProtobuf

extension RPCClient: RPCCaller {
    /// A server-streaming call with protobuf messages.
    public func stream<Request: Message, Response: Message>(
        _ service: String, _ method: String, _ request: Request, returning: Response.Type = Response.self,
        timeout: Duration? = nil, metadata: Metadata = Metadata()
    ) async throws -> AsyncThrowingMapSequence<AsyncThrowingStream<[UInt8], any Error>, Response> {
        let raw = try await serverStreaming(service: service, method: method, request: try request.serializedBytes(),
                                            timeout: timeout, metadata: metadata)
        return raw.map { try Response(serializedBytes: $0) }
    }
}
