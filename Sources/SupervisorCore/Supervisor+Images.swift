// Supervisor+Images: the Images service over the content store — Import takes an archive
// streamed in chunks (OCI layout or docker-archive, gzip'd or not) into a temporary file and
// imports it, refusing an image with a layer over the layer limits (nothing of it is kept); List,
// Get and Delete work on the namespace's image records (one per name, keyed by the sha256 of the
// name). Delete collects what no image needs any more (Supervisor+Collection).
import API
import Archive
import Digest
import Errdefs
import Foundation
import Images
import RPC
import SwiftProtobuf

extension Supervisor {
    static func imageKey(_ name: String) -> String { SHA256.hex(Array(name.utf8)) }

    func registerImages(on registry: inout ServiceRegistry) {
        let service = SupervisorAPI.images
        registry.clientStreaming(service, "Import") { [self] (chunks: TypedInbound<Supervisor_ImportChunk>, context) in
            let ns = try Self.namespace(of: context)
            // The archive's other files (index.json, docker's json and VERSION files) were ingested
            // as they streamed past; nothing refers to them — nor to any blob of a refused import.
            defer { collectGarbage() }
            return try await importArchive(chunks, namespace: ns)
        }
        registry.unary(service, "List") { [self] (request: Supervisor_ListImagesRequest, context) in
            let ns = try Self.namespace(of: context)
            let names = Set(try request.filters.map { (text) throws(CoreError) -> String in
                guard text.hasPrefix("name==") else { throw CoreError(.invalidArgument, "filter \(text): only name==REF is supported") }
                return try ImageReference.normalize(String(text.dropFirst("name==".count)))
            })
            var response = Supervisor_ListImagesResponse()
            response.images = images.all(Supervisor_Image.self, namespace: ns).records.map(\.1)
                .filter { names.isEmpty || names.contains($0.name) }.sorted { $0.name < $1.name }
            return response
        }
        registry.unary(service, "Get") { [self] (request: Supervisor_GetImageRequest, context) in
            var response = Supervisor_GetImageResponse()
            response.image = try image(request.name, in: try Self.namespace(of: context))
            let manifest = try JSONDecoder().decode(ImageManifest.self, from: Data(try content.read(try ContentDigest(parsing: response.image.target.digest))))
            response.config = Data(try content.read(try ContentDigest(parsing: manifest.config.digest)))
            response.size = Int64(manifest.layers.reduce(0) { $0 + $1.size })
            response.layerSizes = manifest.layers.map { Int64($0.size) }
            return response
        }
        registry.unary(service, "Delete") { [self] (request: Supervisor_DeleteImageRequest, context) -> Google_Protobuf_Empty in
            let ns = try Self.namespace(of: context)
            let name = try ImageReference.normalize(request.name)
            let removed = try records.withLock { try images.delete(namespace: ns, id: Self.imageKey(name)) }
            guard removed else { throw CoreError(.notFound, "no image \(name) in namespace \(ns)") }
            var gone = Supervisor_Image()
            gone.name = name
            await events.publish(topic: "/images/delete", namespace: ns, event: gone)
            collectGarbage()
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Create") { [self] (request: Supervisor_CreateImageRequest, context) in
            let ns = try Self.namespace(of: context)
            let name = try ImageReference.normalize(request.image.name)
            let digest = try ContentDigest(parsing: request.image.target.digest)
            guard content.contains(digest) else { throw CoreError(.notFound, "content \(digest) of image \(name) is not in the store") }
            let record = try saveImage(ImportedImage(name: name, target: Descriptor(
                mediaType: request.image.target.mediaType, digest: request.image.target.digest,
                size: Int(request.image.target.size))), namespace: ns)
            await events.publish(topic: "/images/create", namespace: ns, event: record)
            var response = Supervisor_CreateImageResponse()
            response.image = record
            return response
        }
        registry.serverStreaming(service, "Export") { [self] (request: Supervisor_ExportRequest, context, writer: TypedWriter<Supervisor_ExportChunk>) in
            let ns = try Self.namespace(of: context)
            guard !request.names.isEmpty else { throw CoreError(.invalidArgument, "export needs at least one image name") }
            let chosen = try request.names.map { (name) throws(CoreError) -> ImportedImage in
                let record = try image(name, in: ns)
                return ImportedImage(name: record.name, target: Descriptor(mediaType: record.target.mediaType,
                                                                          digest: record.target.digest, size: Int(record.target.size)))
            }
            // Written to a spool file first, then streamed in 1 MiB chunks (frames stay under 4 MiB).
            try FileManager.default.createDirectory(atPath: "\(config.root)/tmp", withIntermediateDirectories: true)
            let spool = "\(config.root)/tmp/export-\(UUID().uuidString)"
            let fd = open(spool, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: spool, errno: errno)) }
            unlink(spool)
            defer { close(fd) }
            importing.withLock { $0 += 1 }  // keep the blobs from a concurrent collection
            defer { importing.withLock { $0 -= 1 } }
            try ImageExporter(store: content).export(chosen, to: fd, path: spool)
            lseek(fd, 0, SEEK_SET)
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = read(fd, &buffer, buffer.count)
                guard count > 0 else { break }
                var chunk = Supervisor_ExportChunk()
                chunk.data = Data(buffer[0..<count])
                try await writer.send(chunk)
            }
        }
    }

    /// Receives the archive into a spool file and imports it; collection waits meanwhile (the
    /// import's blobs belong to no image until it ends).
    private func importArchive(_ chunks: TypedInbound<Supervisor_ImportChunk>, namespace ns: String) async throws -> Supervisor_ImportResponse {
        importing.withLock { $0 += 1 }
        defer { importing.withLock { $0 -= 1 } }
        let spool = "\(config.root)/tmp/import-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: "\(config.root)/tmp", withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: spool, contents: nil), let file = FileHandle(forWritingAtPath: spool) else {
            throw CoreError(.internal, "cannot create \(spool)")
        }
        defer { unlink(spool) }
        for try await chunk in chunks { try file.write(contentsOf: chunk.data) }
        try file.close()
        // On a thread of its own: the import reads every byte, twice for layers (ingest, then the
        // layer limits' check), which must not hold one of the cooperative pool's few threads.
        var importer = ImageImporter(store: content)
        importer.limits = config.layerLimits
        let imported = try await runOnThread("image-import") { [importer] in try importer.importArchive(try FileSource(path: spool)) }
        var response = Supervisor_ImportResponse()
        for image in imported {
            let record = try saveImage(image, namespace: ns)
            response.images.append(record)
            await events.publish(topic: "/images/create", namespace: ns, event: record)
        }
        logger.info("images imported", metadata: ["namespace": "\(ns)", "names": "\(imported.map(\.name))"])
        return response
    }

    func image(_ name: String, in ns: String) throws(CoreError) -> Supervisor_Image {
        let normalized = try ImageReference.normalize(name)
        guard let image = try images.read(Supervisor_Image.self, namespace: ns, id: Self.imageKey(normalized)) else {
            throw CoreError(.notFound, "no image \(normalized) in namespace \(ns)")
        }
        return image
    }

    private func saveImage(_ image: ImportedImage, namespace ns: String) throws -> Supervisor_Image {
        try records.withLock {
            let now = Google_Protobuf_Timestamp(date: Date())
            var record = try images.read(Supervisor_Image.self, namespace: ns, id: Self.imageKey(image.name)) ?? Supervisor_Image()
            if !record.hasCreatedAt { record.createdAt = now }
            record.updatedAt = now
            record.name = image.name
            record.target.mediaType = image.target.mediaType
            record.target.digest = image.target.digest
            record.target.size = Int64(image.target.size)
            try images.write(record, namespace: ns, id: Self.imageKey(image.name))
            return record
        }
    }
}
