// Spec: the top level of an OCI bundle's config.json (runtime-spec config.md), with the root
// filesystem and mount entries it lists. Loading, validation and defaults live in Spec+*.swift.

/// An OCI runtime configuration (config.json).
public struct Spec: Codable, Sendable, Equatable {
    /// The runtime-spec version berth writes into new configs (runc 1.3 writes the same).
    public static let currentVersion = "1.2.1"

    /// Runtime-spec version the bundle complies with (`ociVersion`).
    public var ociVersion: String
    /// The container's init process (`process`).
    public var process: Process?
    /// The root filesystem (`root`).
    public var root: Root?
    /// Hostname set in the UTS namespace (`hostname`).
    public var hostname: String?
    /// NIS domain name set in the UTS namespace (`domainname`).
    public var domainname: String?
    /// Mounts made on top of the root filesystem, in order (`mounts`).
    public var mounts: [Mount]?
    /// Lifecycle hooks (`hooks`).
    public var hooks: Hooks?
    /// Arbitrary metadata (`annotations`).
    public var annotations: [String: String]?
    /// Linux-specific configuration (`linux`).
    public var linux: LinuxConfig?

    /// Creates a config; only `ociVersion` is required.
    public init(
        ociVersion: String = Spec.currentVersion, process: Process? = nil, root: Root? = nil,
        hostname: String? = nil, domainname: String? = nil, mounts: [Mount]? = nil, hooks: Hooks? = nil,
        annotations: [String: String]? = nil, linux: LinuxConfig? = nil
    ) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.domainname = domainname
        self.mounts = mounts
        self.hooks = hooks
        self.annotations = annotations
        self.linux = linux
    }
}

/// The container's root filesystem (`root`).
public struct Root: Codable, Sendable, Equatable {
    /// Path to the rootfs, absolute or relative to the bundle (`path`).
    public var path: String
    /// Remount the rootfs read-only before exec (`readonly`).
    public var readonly: Bool?

    /// Creates a root entry.
    public init(path: String, readonly: Bool? = nil) {
        self.path = path
        self.readonly = readonly
    }
}

/// One mount made inside the container (`mounts[]`).
public struct Mount: Codable, Sendable, Equatable {
    /// Absolute path inside the container (`destination`).
    public var destination: String
    /// Filesystem type, e.g. "proc", "tmpfs", "bind", "none" (`type`).
    public var type: String?
    /// Device, path or pseudo-name to mount (`source`).
    public var source: String?
    /// fstab-style options, e.g. "nosuid", "rbind", "mode=755" (`options`).
    public var options: [String]?
    /// ID-mapped mount: uid mappings (`uidMappings`).
    public var uidMappings: [LinuxIDMapping]?
    /// ID-mapped mount: gid mappings (`gidMappings`).
    public var gidMappings: [LinuxIDMapping]?

    /// Creates a mount entry.
    public init(destination: String, type: String? = nil, source: String? = nil, options: [String]? = nil,
                uidMappings: [LinuxIDMapping]? = nil, gidMappings: [LinuxIDMapping]? = nil) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
    }
}
