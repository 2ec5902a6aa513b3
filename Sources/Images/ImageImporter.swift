// ImageImporter: loads an image archive into the content store — an OCI image layout
// (`oci-layout`, `index.json`, `blobs/sha256/…`, as `ctr images export` writes) or a
// docker-archive (`manifest.json` with Config/RepoTags/Layers, as `docker save` writes), either
// possibly gzip-compressed as a whole. Every file is ingested as it streams past (OCI blobs
// verified against the digest their path names); then the index or manifest.json says what the
// images are. A docker-archive image gets an OCI manifest written for it, so both kinds end as
// the same thing: a name and the descriptor of a manifest whose config and layers are present.
// With `limits`, every layer of the imported images is then read once (LayerLimits.check, nothing
// written) and an image with a layer over a limit — a decompression bomb, a tar of millions of
// entries — is refused with the limit's error, before anything is unpacked.
import Archive
import Errdefs
import Foundation

public struct ImportedImage: Sendable, Equatable {
    public var name: String
    public var target: Descriptor

    public init(name: String, target: Descriptor) {
        self.name = name
        self.target = target
    }
}

public struct ImageImporter: Sendable {
    public let store: ContentStore
    /// The platform picked from a multi-platform index.
    public var platform = Platform(architecture: "amd64", os: "linux")
    /// The layer limits every imported layer is checked against; nil: not checked here.
    public var limits: LayerLimits?

    public init(store: ContentStore) {
        self.store = store
    }

    public func importArchive(_ source: ByteSource, name override: String? = nil) throws(CoreError) -> [ImportedImage] {
        let tar = TarReader(try GzipSource.maybe(source))
        var files: [String: (digest: ContentDigest, size: Int)] = [:]
        while let entry = try tar.next() {
            guard entry.kind == .file else { continue }
            let path = Self.clean(entry.path)
            var expected: ContentDigest?
            if path.hasPrefix("blobs/sha256/") {
                expected = try ContentDigest(hex: String(path.dropFirst("blobs/sha256/".count)))
            }
            files[path] = try store.ingest(TarEntrySource(tar), expected: expected, expectedSize: entry.size)
        }
        let images: [ImportedImage]
        if let index = files["index.json"] {
            images = try importLayout(index.digest, override: override)
        } else if let manifest = files["manifest.json"] {
            images = try importDockerArchive(manifest.digest, files: files, override: override)
        } else {
            throw CoreError(.invalidArgument, "not an image archive: it has neither index.json (OCI layout) nor manifest.json (docker save)")
        }
        if let limits { try checkLayers(of: images, against: limits) }
        return images
    }

    /// Reads each layer of `images` once against `limits` — but a plain (not gzip'd) tar too small
    /// to break them (docker save's layers, mostly) is not read again. Only a limit's refusal
    /// counts here: a layer that is not a tar berth can read (zstd, an artifact) is left for the unpack.
    func checkLayers(of images: [ImportedImage], against limits: LayerLimits) throws(CoreError) {
        var checked: Set<String> = []
        for image in images where checked.insert(image.target.digest).inserted {
            let manifest: ImageManifest = try decode(store.read(try ContentDigest(parsing: image.target.digest)), "manifest \(image.target.digest)")
            for layer in manifest.layers where checked.insert(layer.digest).inserted {
                let digest = try ContentDigest(parsing: layer.digest)
                let path = store.path(of: digest)
                if let size = store.size(of: digest), limits.admitsEveryTar(ofSize: size),
                   try FileSource(path: path).read(upTo: 2) != [0x1F, 0x8B] { continue }
                do {
                    _ = try limits.check(try FileSource(path: path), what: "layer \(layer.digest) of image \(image.name)")
                } catch where error.code == .resourceExhausted {
                    throw error
                } catch {
                    continue
                }
            }
        }
    }

    private func importLayout(_ indexDigest: ContentDigest, override: String?) throws(CoreError) -> [ImportedImage] {
        let index: ImageIndex = try decode(store.read(indexDigest), "index.json")
        var images: [ImportedImage] = []
        for descriptor in index.manifests {
            let target = try manifestFor(descriptor)
            try verify(target)
            let annotations = descriptor.annotations ?? [:]
            let given = override ?? annotations["io.containerd.image.name"] ?? annotations["org.opencontainers.image.ref.name"]
            guard let given, given.contains("/") || given.contains(":") || override != nil || annotations["io.containerd.image.name"] != nil else {
                throw CoreError(.invalidArgument, "image \(descriptor.digest) in index.json has no name: give one")
            }
            // The index's annotations and platform describe the entry, not the manifest itself.
            let bare = Descriptor(mediaType: target.mediaType, digest: target.digest, size: target.size)
            images.append(ImportedImage(name: try ImageReference.normalize(given), target: bare))
        }
        guard !images.isEmpty else { throw CoreError(.invalidArgument, "index.json lists no images") }
        return images
    }

    /// The manifest for this platform: `descriptor` itself, or the matching entry of a nested index.
    private func manifestFor(_ descriptor: Descriptor) throws(CoreError) -> Descriptor {
        switch descriptor.mediaType {
        case MediaType.ociManifest, MediaType.dockerManifest:
            return descriptor
        case MediaType.ociIndex, MediaType.dockerManifestList:
            let index: ImageIndex = try decode(store.read(try ContentDigest(parsing: descriptor.digest)), "index \(descriptor.digest)")
            guard let match = index.manifests.first(where: { $0.platform?.architecture == platform.architecture && $0.platform?.os == platform.os }) else {
                throw CoreError(.notFound, "index \(descriptor.digest) has no image for \(platform.os)/\(platform.architecture)")
            }
            return try manifestFor(match)
        default:
            throw CoreError(.invalidArgument, "unsupported media type \(descriptor.mediaType) in index")
        }
    }

    /// The manifest, its config and every layer are in the store, with the right sizes; the
    /// config has one diff id per layer.
    func verify(_ target: Descriptor) throws(CoreError) {
        let digest = try ContentDigest(parsing: target.digest)
        guard store.size(of: digest) == target.size else { throw CoreError(.dataLoss, "manifest \(target.digest) is missing or has the wrong size") }
        let manifest: ImageManifest = try decode(store.read(digest), "manifest \(target.digest)")
        for blob in [manifest.config] + manifest.layers {
            guard store.size(of: try ContentDigest(parsing: blob.digest)) == blob.size else {
                throw CoreError(.dataLoss, "blob \(blob.digest) of manifest \(target.digest) is missing or has the wrong size")
            }
        }
        let config: ImageConfig = try decode(store.read(try ContentDigest(parsing: manifest.config.digest)), "config \(manifest.config.digest)")
        guard config.rootfs.diff_ids.count == manifest.layers.count else {
            throw CoreError(.dataLoss, "config \(manifest.config.digest) has \(config.rootfs.diff_ids.count) diff ids for \(manifest.layers.count) layers")
        }
    }

    private func importDockerArchive(_ digest: ContentDigest, files: [String: (digest: ContentDigest, size: Int)],
                                     override: String?) throws(CoreError) -> [ImportedImage] {
        let entries: [DockerArchiveManifest] = try decode(store.read(digest), "manifest.json")
        var images: [ImportedImage] = []
        for entry in entries {
            guard let config = files[Self.clean(entry.Config)] else { throw CoreError(.dataLoss, "manifest.json names \(entry.Config), which the archive lacks") }
            var layers: [Descriptor] = []
            for path in entry.Layers {
                guard let layer = files[Self.clean(path)] else { throw CoreError(.dataLoss, "manifest.json names layer \(path), which the archive lacks") }
                let head = try FileSource(path: store.path(of: layer.digest)).read(upTo: 2)
                layers.append(Descriptor(mediaType: head == [0x1F, 0x8B] ? MediaType.ociLayerGzip : MediaType.ociLayer,
                                         digest: layer.digest.description, size: layer.size))
            }
            let manifest = ImageManifest(schemaVersion: 2, mediaType: MediaType.ociManifest,
                                         config: Descriptor(mediaType: MediaType.ociConfig, digest: config.digest.description, size: config.size),
                                         layers: layers)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let bytes: [UInt8]
            do { bytes = [UInt8](try encoder.encode(manifest)) } catch { throw CoreError(.internal, "encode manifest: \(error)") }
            let stored = try store.ingest(MemorySource(bytes))
            let target = Descriptor(mediaType: MediaType.ociManifest, digest: stored.digest.description, size: stored.size)
            try verify(target)
            let names = override.map { [$0] } ?? entry.RepoTags ?? []
            guard !names.isEmpty else { throw CoreError(.invalidArgument, "docker archive image \(entry.Config) has no RepoTags: give a name") }
            for name in names { images.append(ImportedImage(name: try ImageReference.normalize(name), target: target)) }
        }
        return images
    }

    static func clean(_ path: String) -> String {
        var path = path
        while path.hasPrefix("./") { path.removeFirst(2) }
        return path
    }
}

/// Decodes a JSON document from the store, naming it in the error.
func decode<T: Decodable>(_ bytes: [UInt8], _ what: String) throws(CoreError) -> T {
    do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
        throw CoreError(.invalidArgument, "\(what) is not valid: \(error)")
    }
}

/// The current tar entry's data as a ByteSource.
final class TarEntrySource: ByteSource {
    private let tar: TarReader
    init(_ tar: TarReader) { self.tar = tar }
    func read(upTo count: Int) throws(CoreError) -> [UInt8] { try tar.readData(upTo: count) }
}
