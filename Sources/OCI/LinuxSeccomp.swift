// LinuxSeccomp: the `linux.seccomp` object of config.json (config-linux.md, "Seccomp"). Actions,
// architectures and operators stay strings so that a newer libseccomp name passes through; the
// runtime's seccomp compiler rejects names it cannot map.

/// A seccomp filter description (`linux.seccomp`).
public struct LinuxSeccomp: Codable, Sendable, Equatable {
    /// The actions the runtime spec defines, for validation.
    public static let knownActions: Set<String> = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]
    /// The argument comparison operators the runtime spec defines, for validation.
    public static let knownOperators: Set<String> = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
        "SCMP_CMP_MASKED_EQ",
    ]

    /// Action for syscalls no rule matches, e.g. "SCMP_ACT_ERRNO" (`defaultAction`).
    public var defaultAction: String
    /// errno returned by a default SCMP_ACT_ERRNO action (`defaultErrnoRet`).
    public var defaultErrnoRet: UInt32?
    /// Extra architectures, e.g. "SCMP_ARCH_X86" (`architectures`).
    public var architectures: [String]?
    /// seccomp(2) flags, e.g. "SECCOMP_FILTER_FLAG_LOG" (`flags`).
    public var flags: [String]?
    /// Unix socket that receives the SCMP_ACT_NOTIFY listener fd (`listenerPath`).
    public var listenerPath: String?
    /// Opaque data sent along with the listener fd (`listenerMetadata`).
    public var listenerMetadata: String?
    /// Rules, matched in order (`syscalls`).
    public var syscalls: [LinuxSyscall]?

    /// Creates a seccomp description.
    public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                flags: [String]? = nil, listenerPath: String? = nil, listenerMetadata: String? = nil,
                syscalls: [LinuxSyscall]? = nil) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        self.syscalls = syscalls
    }
}

/// One seccomp rule (`linux.seccomp.syscalls[]`).
public struct LinuxSyscall: Codable, Sendable, Equatable {
    /// Syscall names the rule applies to (`names`).
    public var names: [String]
    /// Action taken on a match (`action`).
    public var action: String
    /// errno returned by SCMP_ACT_ERRNO / SCMP_ACT_TRACE (`errnoRet`).
    public var errnoRet: UInt32?
    /// Argument conditions, all of which must hold (`args`).
    public var args: [LinuxSeccompArg]?

    /// Creates a seccomp rule.
    public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [LinuxSeccompArg]? = nil) {
        self.names = names
        self.action = action
        self.errnoRet = errnoRet
        self.args = args
    }
}

/// One argument condition of a seccomp rule (`syscalls[].args[]`).
public struct LinuxSeccompArg: Codable, Sendable, Equatable {
    /// Argument index, 0 to 5 (`index`).
    public var index: UInt
    /// Value compared against (`value`).
    public var value: UInt64
    /// Second value, the mask's operand for SCMP_CMP_MASKED_EQ (`valueTwo`).
    public var valueTwo: UInt64?
    /// Comparison operator, e.g. "SCMP_CMP_EQ" (`op`).
    public var op: String

    /// Creates an argument condition.
    public init(index: UInt, value: UInt64, valueTwo: UInt64? = nil, op: String) {
        self.index = index
        self.value = value
        self.valueTwo = valueTwo
        self.op = op
    }
}
