// Engine+ImageTools: `tag`, `history`, `image prune` and `save` over the supervisor's images.
// A tag is a second supervisor image record with the same target; save streams the
// supervisor's OCI image-layout export (which docker load and berth load both read).
import API
import Digest
import Errdefs
import Foundation
import Images
import RPC
import SwiftProtobuf

extension Engine {
    public func tagImage(_ source: String, as target: String) async throws {
        let details = try await imageRecord(source)
        let name = try ImageReference.normalize(target)
        var request = Supervisor_CreateImageRequest()
        request.image.name = name
        request.image.target = details.image.target
        let made = request
        let _: Supervisor_CreateImageResponse = try await link.run { try await $0.call(SupervisorAPI.images, "Create", made) }
        let id = "sha256:" + SHA256.hex([UInt8](details.config))
        await events.publish(type: "image", action: "tag", id: id, attributes: ["name": Self.familiarName(name)])
    }

    /// The image's build steps, newest first, with the size of the layer each made.
    public func history(_ name: String) async throws -> Engine_ImageHistory {
        let details = try await imageRecord(name)
        let config = try JSONDecoder().decode(ImageConfig.self, from: details.config)
        let id = "sha256:" + SHA256.hex([UInt8](details.config))
        var steps = config.history ?? []
        if steps.isEmpty {  // no recorded history: one step per layer
            steps = config.rootfs.diff_ids.map { _ in ImageConfig.History(created: config.created, created_by: "", comment: nil, empty_layer: false) }
        }
        var layer = 0
        var entries: [Engine_ImageHistory.Entry] = []
        for step in steps {
            var entry = Engine_ImageHistory.Entry()
            entry.id = "<missing>"
            if let created = step.created.flatMap(LogFile.parseTime) { entry.created = Google_Protobuf_Timestamp(date: created) }
            entry.createdBy = step.created_by ?? ""
            entry.comment = step.comment ?? ""
            if step.empty_layer != true {
                entry.size = layer < details.layerSizes.count ? details.layerSizes[layer] : 0
                layer += 1
            }
            entries.append(entry)
        }
        entries.reverse()
        if !entries.isEmpty {
            entries[0].id = id
            entries[0].tags = [Self.familiarName(details.image.name)]
        }
        var history = Engine_ImageHistory()
        history.entries = entries
        return history
    }

    /// Removes images no container uses: every one with `all`, else only those known by no
    /// reference but an id (berth keeps no untagged images yet, so without `all` nothing goes).
    public func pruneImages(_ request: Engine_PruneRequest) async throws -> Engine_PruneResponse {
        var response = Engine_PruneResponse()
        guard request.all else { return response }
        let used = Set(store.byID.values.map(\.inspect.image))
        for image in try await listImages(Engine_ListImagesRequest()).images where !used.contains(image.id) {
            for tag in image.repoTags {
                var remove = Engine_RemoveImageRequest()
                remove.name = tag
                let removed = try await removeImage(remove)
                response.untagged += removed.items.map(\.untagged).filter { !$0.isEmpty }
                response.deleted += removed.items.map(\.deleted).filter { !$0.isEmpty }
            }
            response.spaceReclaimed += image.size
        }
        return response
    }

    /// Streams an OCI image-layout archive of the named images.
    public func save(_ request: Engine_SaveImagesRequest, send: @Sendable (Engine_ArchiveChunk) async throws -> Void) async throws {
        var names: [String] = []
        for name in request.names { names.append(try await imageRecord(name).image.name) }
        var export = Supervisor_ExportRequest()
        export.names = names
        let rpc = try await link.rpc()
        let stream = try await rpc.stream(SupervisorAPI.images, "Export", export, returning: Supervisor_ExportChunk.self,
                                          timeout: nil, metadata: [Metadata.namespaceKey: config.namespace])
        for try await chunk in stream {
            var out = Engine_ArchiveChunk()
            out.data = chunk.data
            try await send(out)
        }
    }

    /// The supervisor's record and config of an image named by reference or id (prefix).
    func imageRecord(_ name: String) async throws -> Supervisor_GetImageResponse {
        if let byName = try? await imageDetails(name) { return byName }
        let bare = name.hasPrefix("sha256:") ? String(name.dropFirst(7)) : name
        if bare.count >= 4, bare.allSatisfy(\.isHexDigit) {
            for image in try await listImages(Engine_ListImagesRequest()).images where image.id.dropFirst(7).hasPrefix(bare) {
                if let tag = image.repoTags.first, let found = try? await imageDetails(tag) { return found }
            }
        }
        throw CoreError(.notFound, "No such image: \(name)")
    }
}
