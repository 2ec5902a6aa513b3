// EventsAPI: containerd's ttrpc Events service (what shims publish to) and containerd's
// conventions for Any type URLs: the message's full proto name with no URL prefix.
import Errdefs
import RPC
import SwiftProtobuf

public enum EventsAPI {
    public static let service = "containerd.services.events.ttrpc.v1.Events"
    public static let forward = "Forward"

    /// Publishes one event (what a shim does for each task event).
    public static func forward(_ envelope: Containerd_Types_Envelope, over rpc: any RPCCaller,
                               timeout: Duration = .seconds(5)) async throws {
        var request = Containerd_Services_Events_Ttrpc_V1_ForwardRequest()
        request.envelope = envelope
        let _: Google_Protobuf_Empty = try await rpc.call(service, Self.forward, request, timeout: timeout,
                                                          metadata: [Metadata.namespaceKey: envelope.namespace])
    }

    /// Registers a Forward handler: shims call it once per event, with a 5 s deadline.
    public static func register(on registry: inout ServiceRegistry,
                                _ forward: @escaping @Sendable (Containerd_Types_Envelope, CallContext) async throws -> Void) {
        registry.unary(service, Self.forward) { (request: Containerd_Services_Events_Ttrpc_V1_ForwardRequest, context) -> Google_Protobuf_Empty in
            try await forward(request.envelope, context)
            return Google_Protobuf_Empty()
        }
    }
}

/// Topic names of task events.
public enum TaskTopic {
    public static let create = "/tasks/create", start = "/tasks/start", exit = "/tasks/exit", delete = "/tasks/delete"
    public static let execAdded = "/tasks/exec-added", execStarted = "/tasks/exec-started"
    public static let paused = "/tasks/paused", resumed = "/tasks/resumed", oom = "/tasks/oom"
    public static let checkpointed = "/tasks/checkpointed"
}

extension Google_Protobuf_Any {
    /// Packs a message the way containerd does: `type_url` is the bare full proto name
    /// (`containerd.events.TaskExit`), not `type.googleapis.com/…`.
    public init<M: Message>(containerd message: M) throws {
        self.init()
        typeURL = M.protoMessageName
        value = try message.serializedData()
    }

    /// Packs JSON the way containerd sends OCI types (`types.containerd.io/opencontainers/runtime-spec/1/Process`).
    public init(ociType: String, json: [UInt8]) {
        self.init()
        typeURL = "types.containerd.io/opencontainers/runtime-spec/1/\(ociType)"
        value = .init(json)
    }

    /// Unpacks a containerd-style Any holding `M`; nil if it holds another type.
    public func unpack<M: Message>(_ type: M.Type) throws -> M? {
        let name = typeURL.split(separator: "/").last.map(String.init) ?? typeURL
        guard name == M.protoMessageName else { return nil }
        return try M(serializedBytes: [UInt8](value))
    }
}
