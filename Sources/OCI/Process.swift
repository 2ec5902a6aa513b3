// Process: the `process` object of config.json (config.md, "Process"): what the container runs,
// as whom, with which capabilities and limits. Pure data; berth-runtime's init applies it.

/// The container's init process (`process`).
public struct Process: Codable, Sendable, Equatable {
    /// Attach a pseudo-terminal to the process (`terminal`).
    public var terminal: Bool?
    /// Initial console size when `terminal` is true (`consoleSize`).
    public var consoleSize: ConsoleSize?
    /// The user the process runs as (`user`).
    public var user: User
    /// Program and arguments; at least one entry is required on Linux (`args`).
    public var args: [String]?
    /// Full command line (Windows only; kept for round trips) (`commandLine`).
    public var commandLine: String?
    /// Environment as `KEY=value` strings (`env`).
    public var env: [String]?
    /// Working directory inside the container; must be absolute (`cwd`).
    public var cwd: String
    /// Capability sets (`capabilities`).
    public var capabilities: LinuxCapabilities?
    /// Resource limits applied with setrlimit (`rlimits`).
    public var rlimits: [POSIXRlimit]?
    /// Set PR_SET_NO_NEW_PRIVS before exec (`noNewPrivileges`).
    public var noNewPrivileges: Bool?
    /// AppArmor profile to exec into (`apparmorProfile`).
    public var apparmorProfile: String?
    /// Value for /proc/self/oom_score_adj, -1000 to 1000 (`oomScoreAdj`).
    public var oomScoreAdj: Int?
    /// SELinux label for the process (`selinuxLabel`).
    public var selinuxLabel: String?
    /// IO scheduling class and priority (`ioPriority`).
    public var ioPriority: LinuxIOPriority?
    /// sched_setattr(2) parameters (`scheduler`).
    public var scheduler: Scheduler?

    /// Creates a process description; `user` defaults to root and `cwd` to "/".
    public init(
        terminal: Bool? = nil, consoleSize: ConsoleSize? = nil, user: User = User(), args: [String]? = nil,
        commandLine: String? = nil, env: [String]? = nil, cwd: String = "/",
        capabilities: LinuxCapabilities? = nil, rlimits: [POSIXRlimit]? = nil, noNewPrivileges: Bool? = nil,
        apparmorProfile: String? = nil, oomScoreAdj: Int? = nil, selinuxLabel: String? = nil,
        ioPriority: LinuxIOPriority? = nil, scheduler: Scheduler? = nil
    ) {
        self.terminal = terminal
        self.consoleSize = consoleSize
        self.user = user
        self.args = args
        self.commandLine = commandLine
        self.env = env
        self.cwd = cwd
        self.capabilities = capabilities
        self.rlimits = rlimits
        self.noNewPrivileges = noNewPrivileges
        self.apparmorProfile = apparmorProfile
        self.oomScoreAdj = oomScoreAdj
        self.selinuxLabel = selinuxLabel
        self.ioPriority = ioPriority
        self.scheduler = scheduler
    }
}

/// Console dimensions in characters (`process.consoleSize`; the spec's `Box`).
public struct ConsoleSize: Codable, Sendable, Equatable {
    /// Rows.
    public var height: UInt
    /// Columns.
    public var width: UInt

    /// Creates a console size.
    public init(height: UInt, width: UInt) {
        self.height = height
        self.width = width
    }
}

/// The identity of the process (`process.user`).
public struct User: Codable, Sendable, Equatable {
    /// User id in the container's user namespace.
    public var uid: UInt32
    /// Group id in the container's user namespace.
    public var gid: UInt32
    /// umask for the init process (`umask`).
    public var umask: UInt32?
    /// Supplementary groups (`additionalGids`).
    public var additionalGids: [UInt32]?
    /// User name (Windows only; kept for round trips).
    public var username: String?

    /// Creates a user; defaults to root.
    public init(uid: UInt32 = 0, gid: UInt32 = 0, umask: UInt32? = nil, additionalGids: [UInt32]? = nil,
                username: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.umask = umask
        self.additionalGids = additionalGids
        self.username = username
    }
}

/// The five capability sets, as `CAP_…` names (`process.capabilities`).
public struct LinuxCapabilities: Codable, Sendable, Equatable {
    /// Bounding set.
    public var bounding: [String]?
    /// Effective set.
    public var effective: [String]?
    /// Inheritable set.
    public var inheritable: [String]?
    /// Permitted set.
    public var permitted: [String]?
    /// Ambient set.
    public var ambient: [String]?

    /// Creates capability sets; absent sets stay empty.
    public init(bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
                permitted: [String]? = nil, ambient: [String]? = nil) {
        self.bounding = bounding
        self.effective = effective
        self.inheritable = inheritable
        self.permitted = permitted
        self.ambient = ambient
    }
}

/// One resource limit (`process.rlimits[]`).
public struct POSIXRlimit: Codable, Sendable, Equatable {
    /// Limit name, e.g. "RLIMIT_NOFILE".
    public var type: String
    /// Hard limit.
    public var hard: UInt64
    /// Soft limit.
    public var soft: UInt64

    /// Creates a resource limit.
    public init(type: String, hard: UInt64, soft: UInt64) {
        self.type = type
        self.hard = hard
        self.soft = soft
    }
}

/// IO priority for the process (`process.ioPriority`).
public struct LinuxIOPriority: Codable, Sendable, Equatable {
    /// "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE" or "IOPRIO_CLASS_IDLE".
    public var `class`: String
    /// Priority within the class, 0 (highest) to 7.
    public var priority: Int

    /// Creates an IO priority.
    public init(class: String, priority: Int) {
        self.class = `class`
        self.priority = priority
    }
}

/// sched_setattr(2) parameters (`process.scheduler`).
public struct Scheduler: Codable, Sendable, Equatable {
    /// Policy, e.g. "SCHED_OTHER", "SCHED_FIFO", "SCHED_DEADLINE".
    public var policy: String
    /// Nice value for SCHED_OTHER and SCHED_BATCH.
    public var nice: Int32?
    /// Static priority for SCHED_FIFO and SCHED_RR.
    public var priority: Int32?
    /// Flags, e.g. "SCHED_FLAG_RESET_ON_FORK".
    public var flags: [String]?
    /// SCHED_DEADLINE runtime in nanoseconds.
    public var runtime: UInt64?
    /// SCHED_DEADLINE deadline in nanoseconds.
    public var deadline: UInt64?
    /// SCHED_DEADLINE period in nanoseconds.
    public var period: UInt64?

    /// Creates scheduler parameters.
    public init(policy: String, nice: Int32? = nil, priority: Int32? = nil, flags: [String]? = nil,
                runtime: UInt64? = nil, deadline: UInt64? = nil, period: UInt64? = nil) {
        self.policy = policy
        self.nice = nice
        self.priority = priority
        self.flags = flags
        self.runtime = runtime
        self.deadline = deadline
        self.period = period
    }
}
