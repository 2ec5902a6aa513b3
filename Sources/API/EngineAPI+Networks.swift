// EngineAPI+Networks: the client side of berth-engine's Networks service (docker's /networks):
// create, list, inspect, remove, connect, disconnect, prune.
import SwiftProtobuf

extension EngineAPI {
    public static let networks = "berth.engine.v1.Networks"
}

extension EngineClient {
    public func createNetwork(_ request: Engine_CreateNetworkRequest) async throws -> Engine_CreateNetworkResponse {
        try await call(EngineAPI.networks, "Create", request)
    }

    public func listNetworks(_ filters: [Engine_Filter] = []) async throws -> [Engine_NetworkInspect] {
        var request = Engine_ListNetworksRequest()
        request.filters = filters
        let response: Engine_ListNetworksResponse = try await call(EngineAPI.networks, "List", request)
        return response.networks
    }

    public func inspectNetwork(_ id: String) async throws -> Engine_NetworkInspect {
        var request = Engine_NetworkRequest()
        request.id = id
        return try await call(EngineAPI.networks, "Inspect", request)
    }

    public func removeNetwork(_ id: String) async throws {
        var request = Engine_NetworkRequest()
        request.id = id
        let _: Google_Protobuf_Empty = try await call(EngineAPI.networks, "Remove", request)
    }

    public func connectNetwork(_ request: Engine_ConnectNetworkRequest) async throws {
        let _: Google_Protobuf_Empty = try await call(EngineAPI.networks, "Connect", request)
    }

    public func disconnectNetwork(_ request: Engine_DisconnectNetworkRequest) async throws {
        let _: Google_Protobuf_Empty = try await call(EngineAPI.networks, "Disconnect", request)
    }

    public func pruneNetworks(_ filters: [Engine_Filter] = []) async throws -> Engine_PruneResponse {
        var request = Engine_PruneRequest()
        request.filters = filters
        return try await call(EngineAPI.networks, "Prune", request)
    }
}
