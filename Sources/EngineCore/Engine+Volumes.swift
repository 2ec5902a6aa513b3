// Engine+Volumes: the Volumes service (docker's /volumes) over VolumeStore — create (driver
// `local` only), list with docker's filters (dangling, label, name, driver), inspect, remove
// (refused while any container, running or not, uses the volume: "volume is in use - [ids]";
// -f only makes a missing volume no error, as docker's), prune (docker 23+: unused anonymous
// volumes; `all` (-a, or filter all=true) every unused one; label filters), and the
// "Local Volumes" line of `system df`.
import API
import Errdefs
import Foundation
import RPC
import SwiftProtobuf

extension Engine {
    nonisolated func registerVolumes(on registry: inout ServiceRegistry) {
        let service = EngineAPI.volumes
        registry.unary(service, "Create") { [self] (request: Engine_CreateVolumeRequest, _) in try await createVolume(request) }
        registry.unary(service, "List") { [self] (request: Engine_ListVolumesRequest, _) in try await listVolumes(request) }
        registry.unary(service, "Inspect") { [self] (request: Engine_VolumeRequest, _) in try await inspectVolume(request.name) }
        registry.unary(service, "Remove") { [self] (request: Engine_RemoveVolumeRequest, _) -> Google_Protobuf_Empty in
            try await removeVolume(request.name, force: request.force)
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Prune") { [self] (request: Engine_PruneRequest, _) in try await pruneVolumes(request) }
    }

    func createVolume(_ request: Engine_CreateVolumeRequest) async throws -> Engine_Volume {
        guard request.driver.isEmpty || request.driver == "local" else {
            throw CoreError(.notFound, "error looking up volume plugin \(request.driver): plugin \"\(request.driver)\" not found")
        }
        let made = try volumes.create(request.name, labels: request.labels, options: request.driverOpts, anonymous: false)
        if made.created {
            await events.publish(type: "volume", action: "create", id: made.volume.name, attributes: ["driver": "local"])
        }
        return made.volume
    }

    func inspectVolume(_ name: String) throws -> Engine_Volume {
        var volume = try volumes.get(name)
        volume.usedBy = volumeUsers(name)
        return volume
    }

    func listVolumes(_ request: Engine_ListVolumesRequest) throws -> Engine_ListVolumesResponse {
        let filters = try VolumeFilters(request.filters, allowed: ["dangling", "label", "name", "driver"])
        var response = Engine_ListVolumesResponse()
        for name in volumes.byName.keys.sorted() {
            var volume = try volumes.get(name)
            volume.usedBy = volumeUsers(name)
            if filters.matches(volume, inUse: !volume.usedBy.isEmpty || volumes.isReserved(name)) { response.volumes.append(volume) }
        }
        return response
    }

    func removeVolume(_ name: String, force: Bool) async throws {
        guard volumes.byName[name] != nil else {
            if force { return }
            throw CoreError(.notFound, "get \(name): no such volume")
        }
        let users = volumeUsers(name)
        guard users.isEmpty, !volumes.isReserved(name) else {
            throw CoreError(.failedPrecondition, "remove \(name): volume is in use - [\(users.joined(separator: ", "))]")
        }
        try volumes.remove(name)
        await events.publish(type: "volume", action: "destroy", id: name, attributes: ["driver": "local"])
    }

    func pruneVolumes(_ request: Engine_PruneRequest) async throws -> Engine_PruneResponse {
        var terms = request.filters.filter { $0.key != "all" }
        let all = request.all || request.filters.contains { $0.key == "all" && ["1", "true"].contains($0.value) }
        terms.removeAll { $0.key == "dangling" }
        let filters = try VolumeFilters(terms, allowed: ["label", "label!"])
        var response = Engine_PruneResponse()
        for name in volumes.byName.keys.sorted() {
            guard let volume = volumes.byName[name], all || volume.anonymous, filters.matches(volume, inUse: false),
                  volumeUsers(name).isEmpty, !volumes.isReserved(name) else { continue }
            let size = volumes.size(name)
            do {
                try volumes.remove(name)
            } catch {
                logger.error("cannot prune a volume", metadata: ["volume": "\(name)", "error": "\(error)"])
                continue
            }
            response.deleted.append(name)
            response.spaceReclaimed += size
            await events.publish(type: "volume", action: "destroy", id: name, attributes: ["driver": "local"])
        }
        await events.publish(type: "volume", action: "prune", id: "", attributes: ["reclaimed": "\(response.spaceReclaimed)"])
        return response
    }

    /// `system df`'s "Local Volumes": all, in use, their size, and what unused ones hold.
    func volumeUsage() -> Engine_DiskUsageResponse.Item {
        var item = Engine_DiskUsageResponse.Item()
        item.type = "Local Volumes"
        for name in volumes.byName.keys {
            let size = volumes.size(name)
            item.total += 1
            item.size += size
            if volumeUsers(name).isEmpty { item.reclaimable += size } else { item.active += 1 }
        }
        return item
    }
}

/// docker's volume filters: dangling=true|false, label=KEY or KEY=VALUE (label!= the negation),
/// name=SUBSTRING, driver=NAME; several values of one key match any, different keys all.
struct VolumeFilters {
    private var terms: [String: [String]] = [:]

    init(_ filters: [Engine_Filter], allowed: Set<String>) throws(CoreError) {
        for filter in filters {
            guard allowed.contains(filter.key) else { throw CoreError(.invalidArgument, "invalid filter '\(filter.key)'") }
            if filter.key == "dangling", !["true", "false", "1", "0"].contains(filter.value) {
                throw CoreError(.invalidArgument, "invalid filter 'dangling=\(filter.value)'")
            }
            terms[filter.key, default: []].append(filter.value)
        }
    }

    func matches(_ volume: Engine_Volume, inUse: Bool) -> Bool {
        if let values = terms["dangling"], !values.contains(where: { ["true", "1"].contains($0) == !inUse }) { return false }
        if let values = terms["name"], !values.contains(where: { volume.name.contains($0) }) { return false }
        if let values = terms["driver"], !values.contains(volume.driver) { return false }
        if let values = terms["label"], !values.allSatisfy({ Self.hasLabel(volume, $0) }) { return false }
        if let values = terms["label!"], values.contains(where: { Self.hasLabel(volume, $0) }) { return false }
        return true
    }

    static func hasLabel(_ volume: Engine_Volume, _ term: String) -> Bool {
        let parts = term.split(separator: "=", maxSplits: 1).map(String.init)
        guard let value = volume.labels[parts[0]] else { return false }
        return parts.count == 1 || value == parts[1]
    }
}
