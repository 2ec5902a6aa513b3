// Engine+System: `stats` (from the container's cgroup), container `prune`, `info` and `system
// df`, and their registration with image tag, history, prune and save (Engine+ImageTools.swift).
import API
import Cgroups
import Errdefs
import Foundation
import Glibc
import RPC
import SwiftProtobuf

extension Engine {
    /// One sample of a running container's resource usage.
    public func stats(_ reference: String) throws(CoreError) -> Engine_ContainerStats {
        let stored = try store.resolve(reference)
        let id = stored.inspect.id
        var sample = Engine_ContainerStats()
        sample.id = id
        sample.name = stored.inspect.name
        sample.read = Google_Protobuf_Timestamp(date: Date())
        sample.onlineCpus = UInt32(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        guard isActive(stored) else { return sample }  // docker shows zeros for a stopped container
        let usage = try makeCgroupManager(path: "\(config.cgroupParent)/\(id)", containerID: id).stats()
        sample.cpuTotalNs = usage.cpuUsageNanoseconds ?? 0
        sample.memoryUsage = usage.memoryUsage ?? 0
        let limit = usage.memoryLimit ?? 0
        sample.memoryLimit = limit >= (1 << 62) ? 0 : limit
        sample.pids = usage.pidsCurrent ?? 0
        return sample
    }

    /// Removes every stopped container (matching `until`/`label` filters); docker's `container prune`.
    public func pruneContainers(_ request: Engine_PruneRequest) async throws -> Engine_PruneResponse {
        var response = Engine_PruneResponse()
        for stored in store.byID.values where [.exited, .created, .dead].contains(stored.inspect.state.status) {
            guard Self.matches(stored.inspect, Dictionary(grouping: request.filters.filter { $0.key == "label" }, by: \.key)
                .mapValues { $0.map(\.value) }) else { continue }
            let size = await writableLayerSize(stored.inspect.id)
            do {
                try await remove(stored.inspect.id, force: false)
                response.deleted.append(stored.inspect.id)
                response.spaceReclaimed += size
            } catch {
                logger.warning("prune: cannot remove a container", metadata: ["id": "\(stored.inspect.id)", "error": "\(error)"])
            }
        }
        return response
    }

    public func info() async throws -> Engine_InfoResponse {
        var info = Engine_InfoResponse()
        let all = Array(store.byID.values)
        info.containers = Int32(all.count)
        info.containersRunning = Int32(all.filter { $0.inspect.state.status == .running }.count)
        info.containersPaused = Int32(all.filter { $0.inspect.state.status == .paused }.count)
        info.containersStopped = info.containers - info.containersRunning - info.containersPaused
        info.images = Int32((try? await listImages(Engine_ListImagesRequest()).images.count) ?? 0)
        let version = Self.version()
        info.serverVersion = version.version
        info.kernelVersion = version.kernelVersion
        info.architecture = version.arch
        info.storageDriver = "overlayfs"
        info.loggingDriver = "json-file"
        info.cgroupDriver = "cgroupfs"
        let mode = try? CgroupMode.detect(root: "/sys/fs/cgroup")
        info.cgroupVersion = mode == .v2 ? "2" : "1"
        info.operatingSystem = Self.osName()
        info.ncpu = Int32(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        info.memTotal = Int64(sysconf(Int32(_SC_PHYS_PAGES))) * Int64(sysconf(Int32(_SC_PAGESIZE)))
        info.dataRoot = config.dataRoot
        info.execRoot = config.execRoot
        var uts = utsname()
        uname(&uts)
        info.name = withUnsafeBytes(of: uts.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        info.securityOptions = ["name=seccomp,profile=builtin"]
        info.defaultRuntime = "io.containerd.berth.v1"
        return info
    }

    public func diskUsage() async throws -> Engine_DiskUsageResponse {
        let images = try await listImages(Engine_ListImagesRequest()).images
        let used = Set(store.byID.values.map(\.inspect.image))
        var imageItem = Engine_DiskUsageResponse.Item()
        imageItem.type = "Images"
        imageItem.total = Int32(images.count)
        imageItem.active = Int32(images.filter { used.contains($0.id) }.count)
        imageItem.size = images.reduce(0) { $0 + $1.size }
        imageItem.reclaimable = images.filter { !used.contains($0.id) }.reduce(0) { $0 + $1.size }
        var containerItem = Engine_DiskUsageResponse.Item()
        containerItem.type = "Containers"
        containerItem.total = Int32(store.byID.count)
        containerItem.active = Int32(store.byID.values.filter { isActive($0) }.count)
        for stored in store.byID.values {
            let size = await writableLayerSize(stored.inspect.id)
            containerItem.size += size
            if !isActive(stored) { containerItem.reclaimable += size }
        }
        let volumes = volumeUsage()
        var cache = Engine_DiskUsageResponse.Item()
        cache.type = "Build Cache"
        var response = Engine_DiskUsageResponse()
        response.items = [imageItem, containerItem, volumes, cache]
        return response
    }

    /// The bytes in a container's writable layer (its snapshot's usage), 0 if unknown.
    func writableLayerSize(_ id: String) async -> Int64 {
        var request = Supervisor_SnapshotUsageRequest()
        request.snapshotter = "overlayfs"
        request.key = id
        let made = request
        let usage: Supervisor_SnapshotUsageResponse? = try? await link.run {
            try await $0.call(SupervisorAPI.snapshots, "Usage", made)
        }
        return usage?.size ?? 0
    }

    static func osName() -> String {
        let text = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return String(line.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return "Linux"
    }

    nonisolated func registerSystem(on registry: inout ServiceRegistry) {
        registry.unary(EngineAPI.engine, "Info") { [self] (_: Google_Protobuf_Empty, _) in try await info() }
        registry.unary(EngineAPI.engine, "DiskUsage") { [self] (_: Google_Protobuf_Empty, _) in try await diskUsage() }
        registry.serverStreaming(EngineAPI.containers, "Stats") { [self] (request: Engine_StatsRequest, _, writer: TypedWriter<Engine_ContainerStats>) in
            repeat {
                try await writer.send(try await stats(request.id))
                if request.stream { try await Task.sleep(for: .seconds(1)) }
            } while request.stream
        }
        registry.unary(EngineAPI.containers, "Prune") { [self] (request: Engine_PruneRequest, _) in try await pruneContainers(request) }
        registry.unary(EngineAPI.images, "Tag") { [self] (request: Engine_TagImageRequest, _) -> Google_Protobuf_Empty in
            try await tagImage(request.source, as: request.target)
            return Google_Protobuf_Empty()
        }
        registry.unary(EngineAPI.images, "History") { [self] (request: Engine_InspectImageRequest, _) in try await history(request.name) }
        registry.unary(EngineAPI.images, "Prune") { [self] (request: Engine_PruneRequest, _) in try await pruneImages(request) }
        registry.serverStreaming(EngineAPI.images, "Save") { [self] (request: Engine_SaveImagesRequest, _, writer: TypedWriter<Engine_ArchiveChunk>) in
            try await save(request) { try await writer.send($0) }
        }
    }
}
