// EngineAPI+Volumes: EngineClient's calls of berth-engine's Volumes service (docker's /volumes):
// create, list, inspect, remove, prune.
import SwiftProtobuf

extension EngineAPI {
    public static let volumes = "berth.engine.v1.Volumes"
}

extension EngineClient {
    public func createVolume(_ request: Engine_CreateVolumeRequest) async throws -> Engine_Volume {
        try await call(EngineAPI.volumes, "Create", request)
    }

    public func listVolumes(filters: [Engine_Filter] = []) async throws -> Engine_ListVolumesResponse {
        var request = Engine_ListVolumesRequest()
        request.filters = filters
        return try await call(EngineAPI.volumes, "List", request)
    }

    public func inspectVolume(_ name: String) async throws -> Engine_Volume {
        var request = Engine_VolumeRequest()
        request.name = name
        return try await call(EngineAPI.volumes, "Inspect", request)
    }

    public func removeVolume(_ name: String, force: Bool = false) async throws {
        var request = Engine_RemoveVolumeRequest()
        request.name = name
        request.force = force
        let _: Google_Protobuf_Empty = try await call(EngineAPI.volumes, "Remove", request)
    }

    public func pruneVolumes(all: Bool = false, filters: [Engine_Filter] = []) async throws -> Engine_PruneResponse {
        var request = Engine_PruneRequest()
        request.all = all
        request.filters = filters
        return try await call(EngineAPI.volumes, "Prune", request)
    }
}
