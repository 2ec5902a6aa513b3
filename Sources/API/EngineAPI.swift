// EngineAPI: the names of berth-engine's services (`berth.engine.v1`, Docker Engine API concepts
// as protobuf over ttrpc) and a small typed client for unary calls, used by the `berth` CLI and
// the tests. Streams (logs, attach, load, save, events) go through RPCClient directly.
import Errdefs
import RPC
import SwiftProtobuf

public enum EngineAPI {
    public static let engine = "berth.engine.v1.Engine"
    public static let containers = "berth.engine.v1.Containers"
    public static let images = "berth.engine.v1.Images"
    public static let events = "berth.engine.v1.Events"
    /// The API version this engine speaks (bumped when a message changes incompatibly).
    public static let apiVersion = "1.0"
    /// The engine's socket when none is named (-H, $BERTH_HOST).
    public static let defaultAddress = "unix:///run/berth/engine.sock"
    /// The supervisor namespace the engine keeps its containers and images in (dockerd's "moby").
    public static let supervisorNamespace = "berth"
}

/// A typed client of berth-engine's unary calls.
public struct EngineClient: Sendable {
    public let rpc: any RPCCaller
    public var timeout: Duration?

    public init(rpc: any RPCCaller, timeout: Duration? = nil) {
        self.rpc = rpc
        self.timeout = timeout
    }

    public func call<Req: Message, Resp: Message>(_ service: String, _ method: String, _ request: Req,
                                                  timeout: Duration? = nil) async throws -> Resp {
        try await rpc.call(service, method, request, timeout: timeout ?? self.timeout, metadata: Metadata())
    }

    public func create(_ request: Engine_CreateContainerRequest) async throws -> Engine_CreateContainerResponse {
        try await call(EngineAPI.containers, "Create", request)
    }

    public func start(_ id: String) async throws {
        var request = Engine_StartContainerRequest()
        request.id = id
        let _: Google_Protobuf_Empty = try await call(EngineAPI.containers, "Start", request)
    }

    public func inspect(_ id: String) async throws -> Engine_ContainerInspect {
        var request = Engine_InspectContainerRequest()
        request.id = id
        return try await call(EngineAPI.containers, "Inspect", request)
    }

    public func list(all: Bool = false, filters: [Engine_Filter] = []) async throws -> [Engine_ContainerSummary] {
        var request = Engine_ListContainersRequest()
        request.all = all
        request.filters = filters
        let response: Engine_ListContainersResponse = try await call(EngineAPI.containers, "List", request)
        return response.containers
    }

    public func wait(_ id: String, condition: Engine_WaitCondition = .notRunning) async throws -> Engine_WaitContainerResponse {
        var request = Engine_WaitContainerRequest()
        request.id = id
        request.condition = condition
        return try await call(EngineAPI.containers, "Wait", request, timeout: .seconds(365 * 24 * 3600))
    }

    public func remove(_ id: String, force: Bool = false, volumes: Bool = false) async throws {
        var request = Engine_RemoveContainerRequest()
        request.id = id
        request.force = force
        request.volumes = volumes
        let _: Google_Protobuf_Empty = try await call(EngineAPI.containers, "Remove", request)
    }
}

extension Engine_ContainerStatus {
    /// Docker's lower-case state name ("running", "exited", …).
    public var dockerName: String {
        switch self {
        case .created: "created"
        case .running: "running"
        case .paused: "paused"
        case .restarting: "restarting"
        case .removing: "removing"
        case .exited: "exited"
        case .dead: "dead"
        default: "unknown"
        }
    }
}
