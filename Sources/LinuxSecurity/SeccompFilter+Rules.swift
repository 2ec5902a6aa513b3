// SeccompFilter+Rules: what an OCI profile needs beyond SeccompFilter's plain rules — argument
// conditions (seccomp_rule_add_array with scmp_arg_cmp), the load-time flags (log, spec_allow,
// tsync) and libseccomp's binary-tree optimization — and SeccompProgram, the exported classic BPF
// that the container's init loads with one seccomp(2) call right before execve (crun's model:
// compile early, while libseccomp may still allocate and fail loudly; load as late as possible).
import CSeccomp
import Errdefs
import Glibc

/// One argument comparison of a seccomp rule: argument `argument` (0...5) compared with `value`.
public struct SeccompCondition: Hashable, Sendable, CustomStringConvertible {
    /// How the argument is compared (libseccomp's SCMP_CMP_*).
    public enum Comparison: Hashable, Sendable {
        /// argument != value (SCMP_CMP_NE).
        case notEqual
        /// argument < value (SCMP_CMP_LT).
        case lessThan
        /// argument <= value (SCMP_CMP_LE).
        case lessThanOrEqual
        /// argument == value (SCMP_CMP_EQ).
        case equal
        /// argument >= value (SCMP_CMP_GE).
        case greaterThanOrEqual
        /// argument > value (SCMP_CMP_GT).
        case greaterThan
        /// argument & mask == value (SCMP_CMP_MASKED_EQ).
        case maskedEqual(mask: UInt64)
    }

    /// The argument's index, 0...5.
    public var argument: UInt32
    /// The comparison.
    public var comparison: Comparison
    /// The value compared with (after masking, for `.maskedEqual`).
    public var value: UInt64

    /// A condition on argument `argument`.
    public init(argument: UInt32, _ comparison: Comparison, _ value: UInt64) {
        self.argument = argument
        self.comparison = comparison
        self.value = value
    }

    /// libseccomp's struct; for SCMP_CMP_MASKED_EQ datum_a is the mask and datum_b the value.
    var raw: scmp_arg_cmp {
        switch comparison {
        case .notEqual: scmp_arg_cmp(arg: argument, op: SCMP_CMP_NE, datum_a: value, datum_b: 0)
        case .lessThan: scmp_arg_cmp(arg: argument, op: SCMP_CMP_LT, datum_a: value, datum_b: 0)
        case .lessThanOrEqual: scmp_arg_cmp(arg: argument, op: SCMP_CMP_LE, datum_a: value, datum_b: 0)
        case .equal: scmp_arg_cmp(arg: argument, op: SCMP_CMP_EQ, datum_a: value, datum_b: 0)
        case .greaterThanOrEqual: scmp_arg_cmp(arg: argument, op: SCMP_CMP_GE, datum_a: value, datum_b: 0)
        case .greaterThan: scmp_arg_cmp(arg: argument, op: SCMP_CMP_GT, datum_a: value, datum_b: 0)
        case .maskedEqual(let mask): scmp_arg_cmp(arg: argument, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: value)
        }
    }

    public var description: String {
        switch comparison {
        case .notEqual: "arg\(argument) != \(value)"
        case .lessThan: "arg\(argument) < \(value)"
        case .lessThanOrEqual: "arg\(argument) <= \(value)"
        case .equal: "arg\(argument) == \(value)"
        case .greaterThanOrEqual: "arg\(argument) >= \(value)"
        case .greaterThan: "arg\(argument) > \(value)"
        case .maskedEqual(let mask): "arg\(argument) & \(mask) == \(value)"
        }
    }
}

/// The flags of seccomp(SECCOMP_SET_MODE_FILTER) that an OCI profile may ask for.
public struct SeccompFilterFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// SECCOMP_FILTER_FLAG_TSYNC: install on every thread of the process.
    public static let tsync = SeccompFilterFlags(rawValue: 1 << 0)
    /// SECCOMP_FILTER_FLAG_LOG: log every action except SECCOMP_RET_ALLOW.
    public static let log = SeccompFilterFlags(rawValue: 1 << 1)
    /// SECCOMP_FILTER_FLAG_SPEC_ALLOW: do not force the speculative store bypass mitigation.
    public static let specAllow = SeccompFilterFlags(rawValue: 1 << 2)
}

extension SeccompFilter {
    /// Applies `action` to calls of syscall `name` whose arguments satisfy every condition
    /// (an empty list matches every call). Throws notFound for a name libseccomp does not
    /// know, invalidArgument for an argument index above 5. libseccomp refuses (EINVAL) two
    /// conditions on one argument in a single rule: add them as separate rules instead.
    public mutating func add(_ action: SeccompAction, syscall name: String, conditions: [SeccompCondition]) throws(CoreError) {
        guard let number = Seccomp.syscallNumber(name) else {
            throw CoreError(.notFound, "seccomp: unknown syscall \(name)")
        }
        if let bad = conditions.first(where: { $0.argument > 5 }) {
            throw CoreError(.invalidArgument, "seccomp: \(name): argument index \(bad.argument) is out of range 0...5")
        }
        let raw = conditions.map(\.raw)
        let result = raw.withUnsafeBufferPointer { buffer in
            seccomp_rule_add_array(context, action.rawValue, number, UInt32(buffer.count), buffer.baseAddress)
        }
        guard result >= 0 else {
            let detail = conditions.isEmpty ? name : "\(name) [\(conditions.map(\.description).joined(separator: ", "))]"
            throw CoreError(SystemCallFailure(call: "seccomp_rule_add", path: detail, errno: -result))
        }
    }

    /// Asks libseccomp for the load-time `flags` (SCMP_FLTATR_CTL_TSYNC, _LOG, _SSB). libseccomp
    /// checks that the kernel supports each one and fails with EOPNOTSUPP otherwise. The same
    /// flags travel with `program(flags:)` for a raw load.
    public mutating func setFlags(_ flags: SeccompFilterFlags) throws(CoreError) {
        if flags.contains(.tsync) { try setAttribute(SCMP_FLTATR_CTL_TSYNC, "SCMP_FLTATR_CTL_TSYNC", 1) }
        if flags.contains(.log) { try setAttribute(SCMP_FLTATR_CTL_LOG, "SCMP_FLTATR_CTL_LOG", 1) }
        if flags.contains(.specAllow) { try setAttribute(SCMP_FLTATR_CTL_SSB, "SCMP_FLTATR_CTL_SSB", 1) }
    }

    /// Chooses libseccomp's code generator: 1 is a linear list of syscalls (the default), 2 a
    /// binary tree, worth it for long profiles such as Docker's (runc enables it above 32 rules).
    public mutating func setOptimization(level: UInt32) throws(CoreError) {
        try setAttribute(SCMP_FLTATR_CTL_OPTIMIZE, "SCMP_FLTATR_CTL_OPTIMIZE", level)
    }

    /// The filter as classic BPF plus the flags to load it with.
    public func program(flags: SeccompFilterFlags = []) throws(CoreError) -> SeccompProgram {
        SeccompProgram(instructions: try exportBPF(), flags: flags)
    }

    private mutating func setAttribute(_ attribute: scmp_filter_attr, _ name: String, _ value: UInt32) throws(CoreError) {
        let result = seccomp_attr_set(context, attribute, value)
        guard result >= 0 else {
            throw CoreError(SystemCallFailure(call: "seccomp_attr_set", path: name, errno: -result))
        }
    }
}

/// A compiled seccomp filter: classic BPF (`struct sock_filter`, 8 bytes per instruction) and
/// the seccomp(2) flags to install it with. Plain data, so it can be made long before it is loaded.
public struct SeccompProgram: Hashable, Sendable {
    /// The program, 8 bytes per instruction.
    public var instructions: [UInt8]
    /// Flags for seccomp(SECCOMP_SET_MODE_FILTER).
    public var flags: SeccompFilterFlags

    /// A program from exported BPF bytes and load flags.
    public init(instructions: [UInt8], flags: SeccompFilterFlags = []) {
        self.instructions = instructions
        self.flags = flags
    }

    /// The number of BPF instructions.
    public var count: Int { instructions.count / 8 }

    /// Installs the program on the calling thread (all threads with `.tsync`) with
    /// seccomp(SECCOMP_SET_MODE_FILTER). Unlike `SeccompFilter.load()` it never sets
    /// no_new_privs: the caller either set it already or holds CAP_SYS_ADMIN (else EACCES).
    /// Irreversible and inherited: for a process about to exec the workload, never a test runner.
    public func load() throws(CoreError) {
        guard !instructions.isEmpty, instructions.count % 8 == 0, count <= Int(UInt16.max) else {
            throw CoreError(.invalidArgument, "seccomp: \(instructions.count) bytes is not a BPF program (8 bytes per instruction)")
        }
        let result = instructions.withUnsafeBytes { bytes in
            berth_seccomp_set_mode_filter(flags.rawValue, bytes.baseAddress, UInt16(count))
        }
        guard result == 0 else {
            // With TSYNC a positive result is the id of a thread that could not be synchronized.
            let code = result > 0 ? ESRCH : errno
            throw CoreError(SystemCallFailure(call: "seccomp(SECCOMP_SET_MODE_FILTER)", errno: code))
        }
    }
}

extension Seccomp {
    /// Whether libseccomp knows architecture `name` ("x86_64", "x86", "aarch64", …).
    public static func isKnownArchitecture(_ name: String) -> Bool {
        seccomp_arch_resolve_name(name) != 0
    }
}
