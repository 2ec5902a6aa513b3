// CgroupStats: the few usage figures berth reports (docker stats, the shim's metrics) — kept
// small on purpose; anything richer can be read from the control files in `paths`.

/// Usage of a cgroup at one moment. nil means the controller or file is not available.
public struct CgroupStats: Sendable, Hashable {
    /// Memory in use, bytes (v1 memory.usage_in_bytes, v2 memory.current).
    public var memoryUsage: UInt64?
    /// The memory limit in bytes; nil also when unlimited.
    public var memoryLimit: UInt64?
    /// Processes and threads in the cgroup (pids.current).
    public var pidsCurrent: UInt64?
    /// The pids limit; nil also when unlimited ("max").
    public var pidsLimit: UInt64?
    /// CPU time consumed, nanoseconds (v1 cpuacct.usage, v2 cpu.stat usage_usec × 1000).
    public var cpuUsageNanoseconds: UInt64?

    /// Creates a stats record; every field defaults to unknown.
    public init(
        memoryUsage: UInt64? = nil, memoryLimit: UInt64? = nil, pidsCurrent: UInt64? = nil,
        pidsLimit: UInt64? = nil, cpuUsageNanoseconds: UInt64? = nil
    ) {
        self.memoryUsage = memoryUsage
        self.memoryLimit = memoryLimit
        self.pidsCurrent = pidsCurrent
        self.pidsLimit = pidsLimit
        self.cpuUsageNanoseconds = cpuUsageNanoseconds
    }
}
