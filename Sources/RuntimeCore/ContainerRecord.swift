// ContainerRecord: what berth-runtime remembers about one container in `<root>/<id>/state.json`,
// written atomically. From it `state` and `list` derive the OCI status, and `delete` finds what
// to remove (cgroups, the state directory).

struct ContainerRecord: Codable, Sendable, Equatable {
    var id: String
    var bundle: String
    var rootfs: String
    /// The container's init process, in the runtime's pid namespace.
    var pid: Int32
    /// Start time of `pid` (/proc/PID/stat field 22): a reused pid is never mistaken for the container.
    var pidStartTime: UInt64
    /// RFC 3339 creation time.
    var created: String
    var annotations: [String: String]
    /// Absolute cgroup directories by controller, removed on delete.
    var cgroupPaths: [String: String]
    /// True when the container has its own pid namespace (killing its init kills everything).
    var ownPidNamespace: Bool
    var owner: String
}
