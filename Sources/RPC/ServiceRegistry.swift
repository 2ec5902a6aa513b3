// ServiceRegistry: the table a ttrpc server dispatches on, `service` + `method` → handler. Handlers
// take and return serialized payloads; the typed helpers in ServiceRegistry+Typed.swift wrap
// swift-protobuf messages. The registry is a value filled before serving, so lookups need no lock.
import Errdefs

/// The four shapes of a ttrpc call (ttrpc ≥ 1.2).
public enum CallKind: Sendable, Equatable {
    case unary, serverStreaming, clientStreaming, bidirectional

    /// The client sends Data frames after the Request.
    public var clientStreams: Bool { self == .clientStreaming || self == .bidirectional }
    /// The server answers with Data frames and ends the stream with a final Data frame.
    public var serverStreams: Bool { self == .serverStreaming || self == .bidirectional }

    /// The flags a client puts on the Request frame.
    public var requestFlags: FrameFlags {
        switch self {
        case .unary: []
        case .serverStreaming: .remoteClosed
        case .clientStreaming, .bidirectional: .remoteOpen
        }
    }
}

/// The credentials of the process on the other end of a unix socket (SO_PEERCRED).
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// What a handler knows about its call.
public struct CallContext: Sendable {
    public var service: String
    public var method: String
    public var metadata: Metadata
    /// When the caller stops waiting (from `timeout_nano`), or nil for no deadline.
    public var deadline: ContinuousClock.Instant?
    public var peer: PeerCredentials?

    public init(service: String, method: String, metadata: Metadata = Metadata(),
                deadline: ContinuousClock.Instant? = nil, peer: PeerCredentials? = nil) {
        self.service = service
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
    }

    /// `/service/method`, as ttrpc names a method in logs.
    public var fullMethod: String { "/\(service)/\(method)" }
}

/// The messages a client streams to a handler; ends when the client half-closes.
public typealias InboundMessages = AsyncThrowingStream<[UInt8], any Error>

/// Sends one message of a server stream. Waits while the transport is busy writing.
public struct ResponseWriter: Sendable {
    private let sendBody: @Sendable ([UInt8]) async throws -> Void
    public init(_ send: @escaping @Sendable ([UInt8]) async throws -> Void) { sendBody = send }
    public func send(_ payload: [UInt8]) async throws { try await sendBody(payload) }
}

/// A method implementation, by call shape.
public enum MethodHandler: Sendable {
    case unary(@Sendable (_ request: [UInt8], _ context: CallContext) async throws -> [UInt8])
    case serverStreaming(@Sendable (_ request: [UInt8], _ context: CallContext, _ out: ResponseWriter) async throws -> Void)
    case clientStreaming(@Sendable (_ requests: InboundMessages, _ context: CallContext) async throws -> [UInt8])
    case bidirectional(@Sendable (_ requests: InboundMessages, _ context: CallContext, _ out: ResponseWriter) async throws -> Void)

    public var kind: CallKind {
        switch self {
        case .unary: .unary
        case .serverStreaming: .serverStreaming
        case .clientStreaming: .clientStreaming
        case .bidirectional: .bidirectional
        }
    }
}

/// Service name → method name → handler.
public struct ServiceRegistry: Sendable {
    private var services: [String: [String: MethodHandler]] = [:]

    public init() {}

    /// Registers a handler. Registering the same method twice is a programming error.
    public mutating func register(service: String, method: String, _ handler: MethodHandler) {
        precondition(services[service]?[method] == nil, "ttrpc: duplicate method /\(service)/\(method)")
        services[service, default: [:]][method] = handler
    }

    /// Registers every method of `service` again under `alias` (containerd.task.v2 → v3).
    public mutating func alias(service: String, as alias: String) {
        for (method, handler) in services[service] ?? [:] {
            register(service: alias, method: method, handler)
        }
    }

    /// The handler for a call, or the `Unimplemented` error ttrpc answers for it.
    public func lookup(service: String, method: String) -> Result<MethodHandler, CoreError> {
        guard let methods = services[service] else {
            return .failure(CoreError(.unimplemented, "service \(service)"))
        }
        guard let handler = methods[method] else {
            return .failure(CoreError(.unimplemented, "method \(method)"))
        }
        return .success(handler)
    }

    public var serviceNames: [String] { services.keys.sorted() }
}
