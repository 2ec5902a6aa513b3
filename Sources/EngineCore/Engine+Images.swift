// Engine+Images: `images`, `load`, `rmi` and `image inspect` over the supervisor's image store
// (in the engine's namespace). Image ids are docker's: the sha256 of the image config.
import API
import Digest
import Errdefs
import Foundation
import Images
import RPC
import SwiftProtobuf

extension Engine {
    /// The supervisor's record and config of the image `name` (the supervisor normalizes it).
    func imageDetails(_ name: String) async throws -> Supervisor_GetImageResponse {
        do {
            return try await link.run { client in
                var get = Supervisor_GetImageRequest()
                get.name = name
                return try await client.call(SupervisorAPI.images, "Get", get) as Supervisor_GetImageResponse
            }
        } catch let error as CoreError where error.code == .notFound {
            throw CoreError(.notFound, "No such image: \(name)")
        }
    }

    public func listImages(_ request: Engine_ListImagesRequest) async throws -> Engine_ListImagesResponse {
        let records: [Supervisor_Image] = try await link.run { client in
            let response: Supervisor_ListImagesResponse = try await client.call(SupervisorAPI.images, "List", Supervisor_ListImagesRequest())
            return response.images
        }
        var byID: [String: Engine_ImageSummary] = [:]
        for record in records {
            guard let details = try? await imageDetails(record.name),
                  let config = try? JSONDecoder().decode(ImageConfig.self, from: details.config) else { continue }
            let id = "sha256:" + SHA256.hex([UInt8](details.config))
            var summary = byID[id] ?? Engine_ImageSummary()
            summary.id = id
            summary.repoTags.append(Self.familiarName(record.name))
            if let created = config.created.flatMap(LogFile.parseTime) ?? config.created.flatMap({ ISO8601DateFormatter().date(from: $0) }) {
                summary.created = Google_Protobuf_Timestamp(date: created)
            }
            summary.size = details.size
            summary.labels = config.config?.Labels ?? [:]
            summary.containers = Int64(store.byID.values.filter { $0.inspect.image == id }.count)
            byID[id] = summary
        }
        var response = Engine_ListImagesResponse()
        response.images = byID.values.sorted { $0.created.seconds > $1.created.seconds || ($0.created.seconds == $1.created.seconds && $0.id < $1.id) }
        for filter in request.filters where filter.key == "reference" {
            response.images = response.images.filter { $0.repoTags.contains { tag in tag == filter.value || tag.hasPrefix(filter.value + ":") } }
        }
        return response
    }

    public func inspectImage(_ name: String) async throws -> Engine_ImageInspect {
        let details = try await imageDetails(name)
        let config = try JSONDecoder().decode(ImageConfig.self, from: details.config)
        var inspect = Engine_ImageInspect()
        inspect.id = "sha256:" + SHA256.hex([UInt8](details.config))
        inspect.repoTags = [Self.familiarName(details.image.name)]
        if let created = config.created.flatMap(LogFile.parseTime) { inspect.created = Google_Protobuf_Timestamp(date: created) }
        inspect.architecture = config.architecture
        inspect.os = config.os
        inspect.size = details.size
        inspect.rootFs.type = config.rootfs.type
        inspect.rootFs.layers = config.rootfs.diff_ids
        let image = config.config
        inspect.config.user = image?.User ?? ""
        inspect.config.env = image?.Env ?? []
        inspect.config.entrypoint = image?.Entrypoint ?? []
        inspect.config.cmd = image?.Cmd ?? []
        inspect.config.workingDir = image?.WorkingDir ?? ""
        inspect.config.labels = image?.Labels ?? [:]
        inspect.config.exposedPorts = (image?.ExposedPorts ?? [:]).keys.sorted()
        inspect.config.volumes = (image?.Volumes ?? [:]).keys.sorted()
        inspect.config.stopSignal = image?.StopSignal ?? ""
        return inspect
    }

    /// Streams an archive into the supervisor's Import.
    public func load(_ chunks: TypedInbound<Engine_ArchiveChunk>) async throws -> Engine_LoadImagesResponse {
        let rpc = try await link.rpc()
        let call = try await rpc.clientStreaming(service: SupervisorAPI.images, method: "Import", timeout: nil,
                                                 metadata: [Metadata.namespaceKey: config.namespace])
        for try await chunk in chunks {
            var forward = Supervisor_ImportChunk()
            forward.data = chunk.data
            try await call.send(try forward.serializedBytes())
        }
        let imported = try Supervisor_ImportResponse(serializedBytes: try await call.finish())
        var response = Engine_LoadImagesResponse()
        response.loaded = imported.images.map { Self.familiarName($0.name) }
        for name in response.loaded { await events.publish(type: "image", action: "load", id: name, attributes: ["name": name]) }
        return response
    }

    public func removeImage(_ request: Engine_RemoveImageRequest) async throws -> Engine_RemoveImageResponse {
        let details = try await imageDetails(request.name)
        let id = "sha256:" + SHA256.hex([UInt8](details.config))
        // Another name for the same image keeps it: this one is only untagged, whoever uses the image (docker's rule).
        let names = try await listImages(Engine_ListImagesRequest()).images.first { $0.id == id }?.repoTags.count ?? 1
        if !request.force, names <= 1, let user = store.byID.values.first(where: { $0.inspect.image == id }) {
            throw CoreError(.failedPrecondition, "conflict: unable to remove repository reference \"\(request.name)\" (must force) - container \(user.inspect.id.prefix(12)) is using its referenced image \(id.dropFirst(7).prefix(12))")
        }
        try await link.run { client in
            var delete = Supervisor_DeleteImageRequest()
            delete.name = details.image.name
            let _: Google_Protobuf_Empty = try await client.call(SupervisorAPI.images, "Delete", delete)
        }
        var response = Engine_RemoveImageResponse()
        var untagged = Engine_RemoveImageResponse.Item()
        untagged.untagged = Self.familiarName(details.image.name)
        response.items.append(untagged)
        let remaining = try await listImages(Engine_ListImagesRequest())
        if !remaining.images.contains(where: { $0.id == id }) {
            var deleted = Engine_RemoveImageResponse.Item()
            deleted.deleted = id
            response.items.append(deleted)
        }
        await events.publish(type: "image", action: "delete", id: id, attributes: ["name": Self.familiarName(details.image.name)])
        return response
    }

    /// docker.io/library/busybox:latest → busybox:latest; docker.io/user/app:1 → user/app:1.
    static func familiarName(_ name: String) -> String {
        var short = name
        if short.hasPrefix("docker.io/") { short.removeFirst("docker.io/".count) }
        if short.hasPrefix("library/") { short.removeFirst("library/".count) }
        return short
    }
}
