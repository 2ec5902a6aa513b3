// LinuxConfig: the `linux` object of config.json (config-linux.md): namespaces, id mappings, devices,
// cgroup settings, seccomp and the paths masked or made read-only. Not named `Linux` (runtime-spec's
// Go name) because Sys already exports `enum Linux` for syscalls and RuntimeCore imports both.
// `intelRdt` and `personality` are not modelled; like any unknown key they are ignored on decode.
import JSON

/// Linux-specific container configuration (`linux`).
public struct LinuxConfig: Codable, Sendable, Equatable {
    /// User-namespace uid mappings (`uidMappings`).
    public var uidMappings: [LinuxIDMapping]?
    /// User-namespace gid mappings (`gidMappings`).
    public var gidMappings: [LinuxIDMapping]?
    /// Kernel parameters written under /proc/sys (`sysctl`).
    public var sysctl: [String: String]?
    /// Cgroup limits (`resources`).
    public var resources: LinuxResources?
    /// Cgroup path, or "slice:prefix:name" for the systemd driver (`cgroupsPath`).
    public var cgroupsPath: String?
    /// Namespaces to create, or to join when `path` is set (`namespaces`).
    public var namespaces: [LinuxNamespace]?
    /// Device nodes to create in the container's /dev (`devices`).
    public var devices: [LinuxDevice]?
    /// Seccomp filter (`seccomp`).
    public var seccomp: LinuxSeccomp?
    /// Propagation of the rootfs mount, e.g. "rprivate" (`rootfsPropagation`).
    public var rootfsPropagation: String?
    /// Paths hidden from the container (`maskedPaths`).
    public var maskedPaths: [String]?
    /// Paths remounted read-only (`readonlyPaths`).
    public var readonlyPaths: [String]?
    /// SELinux context for the container's mounts (`mountLabel`).
    public var mountLabel: String?
    /// Clock offsets for a time namespace, keyed "boottime" or "monotonic" (`timeOffsets`).
    public var timeOffsets: [String: LinuxTimeOffset]?

    /// Creates a Linux section; every field defaults to absent.
    public init(
        uidMappings: [LinuxIDMapping]? = nil, gidMappings: [LinuxIDMapping]? = nil, sysctl: [String: String]? = nil,
        resources: LinuxResources? = nil, cgroupsPath: String? = nil, namespaces: [LinuxNamespace]? = nil,
        devices: [LinuxDevice]? = nil, seccomp: LinuxSeccomp? = nil, rootfsPropagation: String? = nil,
        maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil, mountLabel: String? = nil,
        timeOffsets: [String: LinuxTimeOffset]? = nil
    ) {
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
        self.sysctl = sysctl
        self.resources = resources
        self.cgroupsPath = cgroupsPath
        self.namespaces = namespaces
        self.devices = devices
        self.seccomp = seccomp
        self.rootfsPropagation = rootfsPropagation
        self.maskedPaths = maskedPaths
        self.readonlyPaths = readonlyPaths
        self.mountLabel = mountLabel
        self.timeOffsets = timeOffsets
    }

    /// The namespace entry of the given type, if the config lists one.
    public func namespace(_ type: LinuxNamespaceType) -> LinuxNamespace? {
        namespaces?.first { $0.type == type }
    }
}

/// A namespace to create or join (`linux.namespaces[]`).
public struct LinuxNamespace: Codable, Sendable, Equatable {
    /// Namespace type (`type`).
    public var type: LinuxNamespaceType
    /// Existing namespace to join, e.g. "/proc/1234/ns/net"; nil creates a new one (`path`).
    public var path: String?

    /// Creates a namespace entry.
    public init(type: LinuxNamespaceType, path: String? = nil) {
        self.type = type
        self.path = path
    }
}

/// The namespace types the runtime spec names; any other string fails to decode.
public enum LinuxNamespaceType: String, Codable, Sendable, Equatable, CaseIterable {
    case pid
    case network
    case mount
    case ipc
    case uts
    case user
    case cgroup
    case time

    /// Decodes a type name, failing with `"<name>" is not a namespace type` at the field's path.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let value = LinuxNamespaceType(rawValue: name) else {
            throw JSONError.invalidValue("\"\(name)\" is not a namespace type")
        }
        self = value
    }
}

/// One id mapping range (`linux.uidMappings[]`, `linux.gidMappings[]`, `mounts[].uidMappings[]`).
public struct LinuxIDMapping: Codable, Sendable, Equatable {
    /// First id inside the container (`containerID`).
    public var containerID: UInt32
    /// First id on the host (`hostID`).
    public var hostID: UInt32
    /// Number of ids in the range (`size`).
    public var size: UInt32

    /// Creates a mapping range.
    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }
}

/// A device node created in the container (`linux.devices[]`).
public struct LinuxDevice: Codable, Sendable, Equatable {
    /// Absolute path inside the container (`path`).
    public var path: String
    /// "c", "b", "u" or "p" (`type`).
    public var type: String
    /// Major number; required unless `type` is "p" (`major`).
    public var major: Int64?
    /// Minor number; required unless `type` is "p" (`minor`).
    public var minor: Int64?
    /// Permission bits (`fileMode`).
    public var fileMode: UInt32?
    /// Owner uid (`uid`).
    public var uid: UInt32?
    /// Owner gid (`gid`).
    public var gid: UInt32?

    /// Creates a device node description.
    public init(path: String, type: String, major: Int64? = nil, minor: Int64? = nil, fileMode: UInt32? = nil,
                uid: UInt32? = nil, gid: UInt32? = nil) {
        self.path = path
        self.type = type
        self.major = major
        self.minor = minor
        self.fileMode = fileMode
        self.uid = uid
        self.gid = gid
    }
}

/// A clock offset for a time namespace (`linux.timeOffsets.<clock>`).
public struct LinuxTimeOffset: Codable, Sendable, Equatable {
    /// Whole seconds (`secs`).
    public var secs: Int64?
    /// Additional nanoseconds (`nanosecs`).
    public var nanosecs: UInt32?

    /// Creates a clock offset.
    public init(secs: Int64? = nil, nanosecs: UInt32? = nil) {
        self.secs = secs
        self.nanosecs = nanosecs
    }
}
