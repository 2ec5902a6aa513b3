// EngineConfig: where berth-engine keeps its state and how it reaches its supervisor — the data
// root (containers' records and logs, the supervisor's root), the exec root (sockets, the
// supervisor's runtime state) and, when given, an already running supervisor to use.
public struct EngineConfig: Sendable {
    /// Persistent state, like dockerd's --data-root (/var/lib/berth).
    public var dataRoot: String
    /// Runtime state, like dockerd's --exec-root (/run/berth).
    public var execRoot: String
    /// A running supervisor's socket; nil means start berth-supervisor as a child.
    public var supervisorAddress: String?
    /// berth-supervisor's path when the engine starts it.
    public var supervisorBinary: String
    /// The supervisor namespace of the engine's containers and images (dockerd's --containerd-namespace).
    public var namespace: String = "berth"
    /// The cgroup containers go under (dockerd's --cgroup-parent).
    public var cgroupParent: String = "/berth"
    /// The systemd journal's socket, for --log-driver journald.
    public var journalSocket: String = "/run/systemd/journal/socket"

    public init(dataRoot: String, execRoot: String, supervisorAddress: String? = nil, supervisorBinary: String) {
        self.dataRoot = dataRoot
        self.execRoot = execRoot
        self.supervisorAddress = supervisorAddress
        self.supervisorBinary = supervisorBinary
    }

    public var containersDirectory: String { dataRoot + "/containers" }
    /// The socket of the supervisor this engine uses.
    public var supervisorSocket: String { supervisorAddress.map(Self.stripScheme) ?? execRoot + "/supervisor/supervisor.sock" }

    static func stripScheme(_ address: String) -> String {
        address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
    }
}
