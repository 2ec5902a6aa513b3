// LinuxResources: the `linux.resources` object of the OCI runtime spec (config-linux.md, "Control
// groups"). Pure data: the cgroup managers translate it into controller files. Optional fields are
// omitted on encode when nil, so a round trip keeps what the bundle said and nothing more.

/// Cgroup resource limits for a container (`linux.resources`).
public struct LinuxResources: Codable, Sendable, Equatable {
    /// Device allow/deny rules, applied in order (`devices`).
    public var devices: [LinuxDeviceCgroup]?
    /// Memory limits (`memory`).
    public var memory: LinuxMemory?
    /// CPU shares, quota and placement (`cpu`).
    public var cpu: LinuxCPU?
    /// Process-count limit (`pids`).
    public var pids: LinuxPids?
    /// Block IO weights and throttles (`blockIO`).
    public var blockIO: LinuxBlockIO?
    /// Hugetlb limits per page size (`hugepageLimits`).
    public var hugepageLimits: [LinuxHugepageLimit]?
    /// net_cls / net_prio settings (`network`).
    public var network: LinuxNetwork?
    /// Raw cgroup v2 files to write, keyed by file name (`unified`).
    public var unified: [String: String]?

    /// Creates a resources object; every field defaults to absent.
    public init(
        devices: [LinuxDeviceCgroup]? = nil, memory: LinuxMemory? = nil, cpu: LinuxCPU? = nil,
        pids: LinuxPids? = nil, blockIO: LinuxBlockIO? = nil, hugepageLimits: [LinuxHugepageLimit]? = nil,
        network: LinuxNetwork? = nil, unified: [String: String]? = nil
    ) {
        self.devices = devices
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
        self.blockIO = blockIO
        self.hugepageLimits = hugepageLimits
        self.network = network
        self.unified = unified
    }
}

/// One device-cgroup rule (`linux.resources.devices[]`).
public struct LinuxDeviceCgroup: Codable, Sendable, Equatable {
    /// Whether the rule allows (true) or denies (false) access.
    public var allow: Bool
    /// Device type: "a" (all), "c" (char) or "b" (block).
    public var type: String?
    /// Major number; nil means any (`*`).
    public var major: Int64?
    /// Minor number; nil means any (`*`).
    public var minor: Int64?
    /// Access string, a combination of "r", "w" and "m".
    public var access: String?

    /// Creates a device rule.
    public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
        self.allow = allow
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access
    }
}

/// Memory controller settings (`linux.resources.memory`); values in bytes, -1 meaning unlimited.
public struct LinuxMemory: Codable, Sendable, Equatable {
    /// Hard limit (`memory.max` / `memory.limit_in_bytes`).
    public var limit: Int64?
    /// Soft limit (`memory.low` / `memory.soft_limit_in_bytes`).
    public var reservation: Int64?
    /// Memory plus swap limit.
    public var swap: Int64?
    /// Kernel memory limit (deprecated in the spec; cgroup v1 only).
    public var kernel: Int64?
    /// Kernel TCP buffer limit (cgroup v1 only).
    public var kernelTCP: Int64?
    /// Swappiness, 0 to 100 (cgroup v1 only).
    public var swappiness: UInt64?
    /// Disables the OOM killer for the cgroup.
    public var disableOOMKiller: Bool?
    /// Enables hierarchical accounting (cgroup v1 only).
    public var useHierarchy: Bool?
    /// Refuse an update that sets the limit below current usage.
    public var checkBeforeUpdate: Bool?

    /// Creates memory settings; every field defaults to absent.
    public init(
        limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, kernel: Int64? = nil,
        kernelTCP: Int64? = nil, swappiness: UInt64? = nil, disableOOMKiller: Bool? = nil,
        useHierarchy: Bool? = nil, checkBeforeUpdate: Bool? = nil
    ) {
        self.limit = limit
        self.reservation = reservation
        self.swap = swap
        self.kernel = kernel
        self.kernelTCP = kernelTCP
        self.swappiness = swappiness
        self.disableOOMKiller = disableOOMKiller
        self.useHierarchy = useHierarchy
        self.checkBeforeUpdate = checkBeforeUpdate
    }
}

/// CPU controller settings (`linux.resources.cpu`).
public struct LinuxCPU: Codable, Sendable, Equatable {
    /// Relative weight (cgroup v1 `cpu.shares`; converted to `cpu.weight` on v2).
    public var shares: UInt64?
    /// CFS quota in microseconds per period; -1 means unlimited.
    public var quota: Int64?
    /// CFS burst in microseconds.
    public var burst: UInt64?
    /// CFS period in microseconds.
    public var period: UInt64?
    /// Realtime runtime in microseconds.
    public var realtimeRuntime: Int64?
    /// Realtime period in microseconds.
    public var realtimePeriod: UInt64?
    /// CPUs the container may run on, e.g. "0-3,7".
    public var cpus: String?
    /// Memory nodes the container may use, e.g. "0-1".
    public var mems: String?
    /// cgroup v2 `cpu.idle` (1 makes the cgroup SCHED_IDLE).
    public var idle: Int64?

    /// Creates CPU settings; every field defaults to absent.
    public init(
        shares: UInt64? = nil, quota: Int64? = nil, burst: UInt64? = nil, period: UInt64? = nil,
        realtimeRuntime: Int64? = nil, realtimePeriod: UInt64? = nil, cpus: String? = nil,
        mems: String? = nil, idle: Int64? = nil
    ) {
        self.shares = shares
        self.quota = quota
        self.burst = burst
        self.period = period
        self.realtimeRuntime = realtimeRuntime
        self.realtimePeriod = realtimePeriod
        self.cpus = cpus
        self.mems = mems
        self.idle = idle
    }
}

/// Pids controller settings (`linux.resources.pids`).
public struct LinuxPids: Codable, Sendable, Equatable {
    /// Maximum number of tasks; 0 or -1 means unlimited.
    public var limit: Int64

    /// Creates a pids limit.
    public init(limit: Int64) {
        self.limit = limit
    }
}

/// Block IO controller settings (`linux.resources.blockIO`).
public struct LinuxBlockIO: Codable, Sendable, Equatable {
    /// Default weight, 10 to 1000.
    public var weight: UInt16?
    /// Weight for the cgroup's own tasks relative to its children (cgroup v1 only).
    public var leafWeight: UInt16?
    /// Per-device weights.
    public var weightDevice: [LinuxWeightDevice]?
    /// Per-device read bytes-per-second limits.
    public var throttleReadBpsDevice: [LinuxThrottleDevice]?
    /// Per-device write bytes-per-second limits.
    public var throttleWriteBpsDevice: [LinuxThrottleDevice]?
    /// Per-device read IO-per-second limits.
    public var throttleReadIOPSDevice: [LinuxThrottleDevice]?
    /// Per-device write IO-per-second limits.
    public var throttleWriteIOPSDevice: [LinuxThrottleDevice]?

    /// Creates block IO settings; every field defaults to absent.
    public init(
        weight: UInt16? = nil, leafWeight: UInt16? = nil, weightDevice: [LinuxWeightDevice]? = nil,
        throttleReadBpsDevice: [LinuxThrottleDevice]? = nil, throttleWriteBpsDevice: [LinuxThrottleDevice]? = nil,
        throttleReadIOPSDevice: [LinuxThrottleDevice]? = nil, throttleWriteIOPSDevice: [LinuxThrottleDevice]? = nil
    ) {
        self.weight = weight
        self.leafWeight = leafWeight
        self.weightDevice = weightDevice
        self.throttleReadBpsDevice = throttleReadBpsDevice
        self.throttleWriteBpsDevice = throttleWriteBpsDevice
        self.throttleReadIOPSDevice = throttleReadIOPSDevice
        self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
    }
}

/// A per-device block IO weight (`blockIO.weightDevice[]`).
public struct LinuxWeightDevice: Codable, Sendable, Equatable {
    /// Device major number.
    public var major: Int64
    /// Device minor number.
    public var minor: Int64
    /// Weight for this device, 10 to 1000.
    public var weight: UInt16?
    /// Leaf weight for this device (cgroup v1 only).
    public var leafWeight: UInt16?

    /// Creates a per-device weight.
    public init(major: Int64, minor: Int64, weight: UInt16? = nil, leafWeight: UInt16? = nil) {
        self.major = major
        self.minor = minor
        self.weight = weight
        self.leafWeight = leafWeight
    }
}

/// A per-device block IO throttle (`blockIO.throttle*Device[]`).
public struct LinuxThrottleDevice: Codable, Sendable, Equatable {
    /// Device major number.
    public var major: Int64
    /// Device minor number.
    public var minor: Int64
    /// Rate in bytes or operations per second.
    public var rate: UInt64

    /// Creates a per-device throttle.
    public init(major: Int64, minor: Int64, rate: UInt64) {
        self.major = major
        self.minor = minor
        self.rate = rate
    }
}

/// A hugetlb limit for one page size (`linux.resources.hugepageLimits[]`).
public struct LinuxHugepageLimit: Codable, Sendable, Equatable {
    /// Page size in the kernel's notation, e.g. "2MB" or "1GB".
    public var pageSize: String
    /// Limit in bytes.
    public var limit: UInt64

    /// Creates a hugetlb limit.
    public init(pageSize: String, limit: UInt64) {
        self.pageSize = pageSize
        self.limit = limit
    }
}

/// net_cls and net_prio settings (`linux.resources.network`).
public struct LinuxNetwork: Codable, Sendable, Equatable {
    /// net_cls class identifier.
    public var classID: UInt32?
    /// net_prio priorities per interface.
    public var priorities: [LinuxInterfacePriority]?

    /// Creates network settings.
    public init(classID: UInt32? = nil, priorities: [LinuxInterfacePriority]? = nil) {
        self.classID = classID
        self.priorities = priorities
    }
}

/// A net_prio priority for one interface (`network.priorities[]`).
public struct LinuxInterfacePriority: Codable, Sendable, Equatable {
    /// Interface name, e.g. "eth0".
    public var name: String
    /// Priority for traffic leaving through it.
    public var priority: UInt32

    /// Creates an interface priority.
    public init(name: String, priority: UInt32) {
        self.name = name
        self.priority = priority
    }
}
