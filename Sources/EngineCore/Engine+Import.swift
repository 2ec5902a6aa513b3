// Engine+Import: `berth import` (Images.Import) — a root filesystem tar (gzip'd or not) becomes a
// one-layer image. The stream is checked to be a tar and spooled uncompressed under the data
// root while hashed (its sha256 is both the layer's digest and its diff id); then an OCI image
// layout — oci-layout, the layer, the config (with the -c changes), the manifest, index.json
// naming the reference — is streamed to the supervisor's Images.Import, as `load` does with a
// file. The image id is docker's: the sha256 of the config.
import API
import Archive
import Digest
import Errdefs
import Foundation
import Glibc
import Images
import RPC
import SwiftProtobuf

extension Engine {
    nonisolated func importImage(_ inbound: TypedInbound<Engine_ImportImageRequest>) async throws -> Engine_ImportImageResponse {
        var messages = inbound.makeAsyncIterator()
        guard let first = try await messages.next(), case .options(let options)? = first.kind else {
            throw CoreError(.invalidArgument, "import: the first message must carry the options")
        }
        guard !options.reference.isEmpty else {
            throw CoreError(.unimplemented, "import without a reference is not supported yet (untagged images): give REPOSITORY[:TAG]")
        }
        let spool = try spool(messages) { if case .data(let data)? = $0.kind { data } else { nil } }
        let reference: String
        let changes: ImageChanges
        do {
            reference = try ImageReference.normalize(options.reference)
            changes = try ImageChanges.parse(options.changes)
        } catch {
            spool.abandon()
            throw error
        }
        let layerPath = "\(config.dataRoot)/tmp/import-\(UUID().uuidString)"
        defer { unlink(layerPath) }
        let layer = LayerSpool(path: layerPath)
        try await spool.consume("import") { try layer.write(from: $0) }
        #if arch(arm64)
        let architecture = "arm64"
        #else
        let architecture = "amd64"
        #endif
        let now = Date()
        let configBytes = try changes.config(diffID: "sha256:" + layer.digest, message: options.message, created: now, architecture: architecture)
        let configDigest = SHA256.hex(configBytes)
        let manifest = try ImageChanges.json([
            "schemaVersion": 2, "mediaType": MediaType.ociManifest,
            "config": ["mediaType": MediaType.ociConfig, "digest": "sha256:" + configDigest, "size": configBytes.count],
            "layers": [["mediaType": MediaType.ociLayer, "digest": "sha256:" + layer.digest, "size": layer.size]],
        ] as [String: Any])
        let manifestDigest = SHA256.hex(manifest)
        let index = try ImageChanges.json([
            "schemaVersion": 2, "mediaType": MediaType.ociIndex,
            "manifests": [[
                "mediaType": MediaType.ociManifest, "digest": "sha256:" + manifestDigest, "size": manifest.count,
                "annotations": ["org.opencontainers.image.ref.name": reference, "io.containerd.image.name": reference],
            ] as [String: Any]],
        ] as [String: Any])

        let rpc = try await link.rpc()
        let call = try await rpc.clientStreaming(service: SupervisorAPI.images, method: "Import", timeout: nil,
                                                 metadata: [Metadata.namespaceKey: config.namespace])
        func send(_ bytes: [UInt8]) async throws {
            var chunk = Supervisor_ImportChunk()
            chunk.data = Data(bytes)
            try await call.send(try chunk.serializedBytes())
        }
        let time = Int(now.timeIntervalSince1970)
        func file(_ name: String, _ bytes: [UInt8]) async throws {
            let entry = TarEntry(.file, path: name, mode: 0o644, size: bytes.count, modificationTime: time)
            try await send(try TarEntryWriter.headers(for: entry) + bytes + TarEntryWriter.padding(bytes.count))
        }
        try await file("oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try await send(try TarEntryWriter.headers(for: TarEntry(.file, path: "blobs/sha256/" + layer.digest, mode: 0o644,
                                                                size: layer.size, modificationTime: time)))
        let source = try FileSource(path: layerPath)
        while case let chunk = try source.read(upTo: 1 << 20), !chunk.isEmpty { try await send(chunk) }
        try await send(TarEntryWriter.padding(layer.size))
        try await file("blobs/sha256/" + configDigest, configBytes)
        try await file("blobs/sha256/" + manifestDigest, manifest)
        try await file("index.json", index)
        try await send([UInt8](repeating: 0, count: 1024))
        _ = try Supervisor_ImportResponse(serializedBytes: try await call.finish())

        var response = Engine_ImportImageResponse()
        response.id = "sha256:" + configDigest
        await events.publish(type: "image", action: "import", id: response.id, attributes: ["name": Self.familiarName(reference)])
        return response
    }
}

/// The uncompressed layer of an import: written to `path` while hashed, checked to be a tar.
final class LayerSpool: @unchecked Sendable {
    let path: String
    private(set) var digest = ""
    private(set) var size = 0

    init(path: String) {
        self.path = path
    }

    func write(from input: ByteSource) throws(CoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
        defer { close(fd) }
        let tee = Tee(try GzipSource.maybe(input), fd: fd, path: path)
        let tar = TarReader(tee)
        do {
            while try tar.next() != nil {}
        } catch {
            throw CoreError(error.code, "import: not a tar archive (or a damaged one): \(error.message)", cause: error.cause)
        }
        while try !tee.read(upTo: 1 << 20).isEmpty {}  // the end-of-archive blocks
        digest = tee.hasher.hexDigest()
        size = tee.count
    }

    /// Passes bytes through, writing and hashing them.
    private final class Tee: ByteSource {
        let source: ByteSource
        let fd: Int32
        let path: String
        var hasher = SHA256()
        var count = 0

        init(_ source: ByteSource, fd: Int32, path: String) {
            self.source = source
            self.fd = fd
            self.path = path
        }

        func read(upTo wanted: Int) throws(CoreError) -> [UInt8] {
            let chunk = try source.read(upTo: wanted)
            hasher.update(chunk)
            count += chunk.count
            var offset = 0
            while offset < chunk.count {
                let written = chunk.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, chunk.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw CoreError(SystemCallFailure(call: "write", path: path, errno: errno))
                }
                offset += written
            }
            return chunk
        }
    }
}
