// ImageModels: the OCI image-spec documents berth reads — descriptors, index, manifest, and the
// image config (what a container inherits: Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts,
// Volumes, Labels, StopSignal) — plus docker-archive's manifest.json, and chain ids.
import Digest
import Foundation

public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
}

public struct Platform: Codable, Sendable, Equatable {
    public var architecture: String
    public var os: String
    public var variant: String?
}

public struct Descriptor: Codable, Sendable, Equatable {
    public var mediaType: String
    public var digest: String
    public var size: Int
    public var annotations: [String: String]?
    public var platform: Platform?

    public init(mediaType: String, digest: String, size: Int, annotations: [String: String]? = nil, platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }
}

public struct ImageIndex: Codable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
}

public struct ImageManifest: Codable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
}

public struct ImageConfig: Codable, Sendable {
    public struct Container: Codable, Sendable {
        public var User: String?
        public var ExposedPorts: [String: [String: String]]?
        public var Env: [String]?
        public var Entrypoint: [String]?
        public var Cmd: [String]?
        public var Volumes: [String: [String: String]]?
        public var WorkingDir: String?
        public var Labels: [String: String]?
        public var StopSignal: String?
    }

    public struct RootFS: Codable, Sendable {
        public var type: String
        public var diff_ids: [String]
    }

    /// One step of the image's build (`docker history`).
    public struct History: Codable, Sendable {
        public var created: String?
        public var created_by: String?
        public var comment: String?
        public var empty_layer: Bool?

        public init(created: String?, created_by: String?, comment: String?, empty_layer: Bool?) {
            self.created = created
            self.created_by = created_by
            self.comment = comment
            self.empty_layer = empty_layer
        }
    }

    public var architecture: String
    public var os: String
    public var created: String?
    public var config: Container?
    public var rootfs: RootFS
    public var history: [History]?
}

/// One entry of docker-archive's manifest.json.
struct DockerArchiveManifest: Codable {
    var Config: String
    var RepoTags: [String]?
    var Layers: [String]
}

public enum ChainID {
    /// The chain ids of a layer stack: the first is its diff id, each next sha256("<prev> <diff id>").
    public static func of(_ diffIDs: [String]) -> [String] {
        var chain: [String] = []
        for diffID in diffIDs {
            guard let previous = chain.last else { chain.append(diffID); continue }
            chain.append("sha256:" + SHA256.hex(Array("\(previous) \(diffID)".utf8)))
        }
        return chain
    }
}
