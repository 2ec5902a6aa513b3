// ContainerState: the OCI state document (runtime.md, "State") as `runc state` prints it. runc adds
// rootfs, created and owner to the spec's fields and reports "paused"; berth-runtime prints the
// same keys so that containerd's runc client and berth-shim parse either runtime's output.
import Errdefs

/// The lifecycle status reported in a state document.
public enum ContainerStatus: String, Codable, Sendable, Equatable, CaseIterable {
    /// The runtime is still executing `create`.
    case creating
    /// `create` finished; the user process waits for `start`.
    case created
    /// The user process has been started and has not exited.
    case running
    /// The user process has exited.
    case stopped
    /// Frozen by the cgroup freezer (runc's extension to the spec).
    case paused
}

/// The state of a container, as `runc state` prints it and hooks receive on stdin.
public struct ContainerState: Codable, Sendable, Equatable {
    /// Runtime-spec version of the container's config (`ociVersion`).
    public var ociVersion: String
    /// Container id (`id`).
    public var id: String
    /// Lifecycle status (`status`).
    public var status: ContainerStatus
    /// Init process pid in the runtime's pid namespace; runc prints 0 once stopped (`pid`).
    public var pid: Int?
    /// Absolute path of the bundle directory (`bundle`).
    public var bundle: String
    /// Absolute path of the root filesystem (runc extension) (`rootfs`).
    public var rootfs: String?
    /// Creation time as an RFC 3339 string with nanoseconds (runc extension) (`created`).
    public var created: String?
    /// User name of the container's owner; "" when unknown (runc extension) (`owner`).
    public var owner: String?
    /// The config's annotations (`annotations`).
    public var annotations: [String: String]?

    /// Creates a state document.
    public init(ociVersion: String = Spec.currentVersion, id: String, status: ContainerStatus, pid: Int? = nil,
                bundle: String, rootfs: String? = nil, created: String? = nil, owner: String? = nil,
                annotations: [String: String]? = nil) {
        self.ociVersion = ociVersion
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.owner = owner
        self.annotations = annotations
    }

    /// Decodes a state document; failures name the JSON path ("state: status ...").
    public static func decode(from bytes: [UInt8]) throws(CoreError) -> ContainerState {
        try JSONCoding.decode(ContainerState.self, from: bytes, file: "state")
    }

    /// Indented JSON with sorted keys, as `berth-runtime state` prints it.
    public func encodedPretty() throws(CoreError) -> [UInt8] {
        try JSONCoding.encode(self, pretty: true, what: "state")
    }

    /// Compact JSON with sorted keys, for hook stdin and state files.
    public func encoded() throws(CoreError) -> [UInt8] {
        try JSONCoding.encode(self, pretty: false, what: "state")
    }
}
