// ImageExporter: writes images as an OCI image layout tar — `oci-layout`, `index.json` naming
// each image (io.containerd.image.name and org.opencontainers.image.ref.name annotations, as
// `ctr images export` does) and every blob they need — which ImageImporter and ctr import.
import Archive
import Errdefs
import Foundation

public struct ImageExporter: Sendable {
    public let store: ContentStore

    public init(store: ContentStore) {
        self.store = store
    }

    /// Writes `images` (name and manifest descriptor) to the open file `fd`.
    public func export(_ images: [ImportedImage], to fd: Int32, path: String) throws(CoreError) {
        let tar = TarWriter(fd: fd, path: path)
        var blobs: [ContentDigest] = []
        var index = ImageIndex(schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [])
        for image in images {
            let digest = try ContentDigest(parsing: image.target.digest)
            let manifest: ImageManifest = try decode(store.read(digest), "manifest \(digest)")
            for blob in [image.target, manifest.config] + manifest.layers {
                let blobDigest = try ContentDigest(parsing: blob.digest)
                if !blobs.contains(blobDigest) { blobs.append(blobDigest) }
            }
            let tag = image.name.split(separator: ":").last.map(String.init) ?? "latest"
            var descriptor = image.target
            descriptor.annotations = ["io.containerd.image.name": image.name, "org.opencontainers.image.ref.name": tag]
            descriptor.platform = Platform(architecture: "amd64", os: "linux")
            index.manifests.append(descriptor)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let indexBytes: [UInt8]
        do { indexBytes = [UInt8](try encoder.encode(index)) } catch { throw CoreError(.internal, "encode index.json: \(error)") }
        try tar.addFile("oci-layout", bytes: Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try tar.addFile("index.json", bytes: indexBytes)
        try tar.addDirectory("blobs")
        try tar.addDirectory("blobs/sha256")
        for digest in blobs {
            guard let size = store.size(of: digest) else { throw CoreError(.notFound, "content \(digest) is missing from the store") }
            try tar.addFile("blobs/sha256/\(digest.hex)", size: size, from: try FileSource(path: store.path(of: digest)))
        }
        try tar.finish()
    }
}
