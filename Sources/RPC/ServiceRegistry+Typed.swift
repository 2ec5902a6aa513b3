// Typed registration: handlers written against swift-protobuf messages instead of raw bytes.
import Errdefs
import SwiftProtobuf

extension ServiceRegistry {
    public mutating func unary<Request: Message, Response: Message>(
        _ service: String, _ method: String,
        _ body: @escaping @Sendable (Request, CallContext) async throws -> Response
    ) {
        register(service: service, method: method, .unary { bytes, context in
            let request = try Request(serializedBytes: bytes)
            return try await body(request, context).serializedBytes()
        })
    }

    public mutating func serverStreaming<Request: Message, Response: Message>(
        _ service: String, _ method: String,
        _ body: @escaping @Sendable (Request, CallContext, TypedWriter<Response>) async throws -> Void
    ) {
        register(service: service, method: method, .serverStreaming { bytes, context, out in
            try await body(try Request(serializedBytes: bytes), context, TypedWriter(out))
        })
    }

    public mutating func clientStreaming<Request: Message, Response: Message>(
        _ service: String, _ method: String,
        _ body: @escaping @Sendable (TypedInbound<Request>, CallContext) async throws -> Response
    ) {
        register(service: service, method: method, .clientStreaming { inbound, context in
            try await body(TypedInbound(inbound), context).serializedBytes()
        })
    }

    public mutating func bidirectional<Request: Message, Response: Message>(
        _ service: String, _ method: String,
        _ body: @escaping @Sendable (TypedInbound<Request>, CallContext, TypedWriter<Response>) async throws -> Void
    ) {
        register(service: service, method: method, .bidirectional { inbound, context, out in
            try await body(TypedInbound(inbound), context, TypedWriter(out))
        })
    }
}

/// A server stream's writer for one message type.
public struct TypedWriter<Response: Message>: Sendable {
    let raw: ResponseWriter
    public init(_ raw: ResponseWriter) { self.raw = raw }
    public func send(_ message: Response) async throws { try await raw.send(message.serializedBytes()) }
}

/// A client stream's messages, decoded.
public struct TypedInbound<Request: Message>: AsyncSequence, Sendable {
    public typealias Element = Request
    let raw: InboundMessages
    public init(_ raw: InboundMessages) { self.raw = raw }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: InboundMessages.AsyncIterator
        public mutating func next() async throws -> Request? {
            guard let bytes = try await base.next() else { return nil }
            return try Request(serializedBytes: bytes)
        }
    }
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: raw.makeAsyncIterator()) }
}
