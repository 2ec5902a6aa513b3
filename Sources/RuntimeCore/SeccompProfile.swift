// SeccompProfile: an OCI `linux.seccomp` object compiled with libseccomp into classic BPF, with
// runc's semantics (libcontainer/seccomp/seccomp_linux.go): SCMP_ACT_ERRNO and SCMP_ACT_TRACE
// default to EPERM; a rule whose action equals the default is redundant and skipped (libseccomp
// would refuse it); a syscall name libseccomp does not know is skipped, since the profile may
// be newer than the library or the kernel; when one argument index appears twice in a rule,
// each condition becomes a rule of its own; long profiles get the binary-tree code generator.
// Unknown actions, architectures, operators and flags are errors that name the culprit.
// SCMP_ACT_NOTIFY (a seccomp agent over listenerPath) is not supported.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import LinuxSecurity
import OCI

/// An OCI seccomp profile, ready to be compiled.
struct SeccompProfile {
    /// The profile as config.json gives it.
    let spec: LinuxSeccomp

    init(_ spec: LinuxSeccomp) {
        self.spec = spec
    }

    /// Syscall names in the rules that libseccomp cannot resolve on this architecture; the
    /// compiled filter leaves them out.
    var unknownSyscalls: [String] {
        (spec.syscalls ?? []).flatMap(\.names).filter { Seccomp.syscallNumber($0) == nil }
    }

    /// Builds the libseccomp filter and exports it with its load flags. Throws invalidArgument
    /// for anything in the profile that cannot be mapped.
    func compile() throws(CoreError) -> SeccompProgram {
        let flags = try Self.flags(spec.flags ?? [])
        let filter = try makeFilter(flags: flags)
        return try filter.program(flags: flags)
    }

    /// The filter itself (before export). no_new_privs is never set by it: ProcessSetup sets
    /// that bit only when process.noNewPrivileges asks for it, as runc does.
    func makeFilter(flags: SeccompFilterFlags) throws(CoreError) -> SeccompFilter {
        let defaultAction = try Self.action(spec.defaultAction, errnoRet: spec.defaultErrnoRet)
        var filter = try SeccompFilter(defaultAction: defaultAction)
        try filter.setNoNewPrivileges(false)
        try filter.setFlags(flags)
        for name in spec.architectures ?? [] {
            try filter.addArchitecture(try Self.architecture(name))
        }
        let rules = spec.syscalls ?? []
        if rules.count > 32 {
            // libseccomp ≤ 2.5.4 misbehaves with the tree and no rules; runc uses the same cut-off.
            try filter.setOptimization(level: 2)
        }
        for rule in rules {
            let action = try Self.action(rule.action, errnoRet: rule.errnoRet)
            if action.rawValue == defaultAction.rawValue { continue }
            let groups = try Self.conditionGroups(rule.args ?? [], syscall: rule.names.first ?? "")
            for name in rule.names where Seccomp.syscallNumber(name) != nil {
                for conditions in groups {
                    try filter.add(action, syscall: name, conditions: conditions)
                }
            }
        }
        return filter
    }

    /// An OCI action name with its errno (SCMP_ACT_ERRNO, SCMP_ACT_TRACE; EPERM when absent;
    /// ignored for the other actions, as runc ignores it).
    static func action(_ name: String, errnoRet: UInt32?) throws(CoreError) -> SeccompAction {
        func code() throws(CoreError) -> UInt16 {
            guard let errnoRet else { return UInt16(EPERM) }
            guard let value = UInt16(exactly: errnoRet) else {
                throw CoreError(.invalidArgument, "seccomp: errnoRet \(errnoRet) of \(name) does not fit in 16 bits")
            }
            return value
        }
        switch name {
        case "SCMP_ACT_ALLOW": return .allow
        case "SCMP_ACT_ERRNO": return .errno(Int32(try code()))
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return .killThread
        case "SCMP_ACT_KILL_PROCESS": return .killProcess
        case "SCMP_ACT_TRAP": return .trap
        case "SCMP_ACT_TRACE": return .trace(try code())
        case "SCMP_ACT_LOG": return .log
        case "SCMP_ACT_NOTIFY":
            throw CoreError(.unimplemented, "seccomp: action \"SCMP_ACT_NOTIFY\" is not supported (no seccomp agent support)")
        default:
            throw CoreError(.invalidArgument, "seccomp: unknown action \"\(name)\"")
        }
    }

    /// libseccomp's name for an OCI architecture: "SCMP_ARCH_X86_64" → "x86_64".
    static func architecture(_ name: String) throws(CoreError) -> String {
        let prefix = "SCMP_ARCH_"
        guard name.hasPrefix(prefix), name.count > prefix.count else {
            throw CoreError(.invalidArgument, "seccomp: unknown architecture \"\(name)\"")
        }
        let libseccompName = String(name.dropFirst(prefix.count)).lowercased()
        guard Seccomp.isKnownArchitecture(libseccompName) else {
            throw CoreError(.invalidArgument, "seccomp: unknown architecture \"\(name)\"")
        }
        return libseccompName
    }

    /// The seccomp(2) flags an OCI profile names. SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only
    /// changes how a notify listener waits; without SCMP_ACT_NOTIFY there is none, so it is a
    /// no-op here.
    static func flags(_ names: [String]) throws(CoreError) -> SeccompFilterFlags {
        var flags: SeccompFilterFlags = []
        for name in names {
            switch name {
            case "SECCOMP_FILTER_FLAG_TSYNC": flags.insert(.tsync)
            case "SECCOMP_FILTER_FLAG_LOG": flags.insert(.log)
            case "SECCOMP_FILTER_FLAG_SPEC_ALLOW": flags.insert(.specAllow)
            case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": break
            default: throw CoreError(.invalidArgument, "seccomp: unknown flag \"\(name)\"")
            }
        }
        return flags
    }

    /// One OCI argument condition. For SCMP_CMP_MASKED_EQ `value` is the mask and `valueTwo`
    /// what the masked argument must equal (runc's MakeCondition(index, op, value, valueTwo)).
    static func condition(_ arg: LinuxSeccompArg, syscall: String) throws(CoreError) -> SeccompCondition {
        guard arg.index <= 5 else {
            throw CoreError(.invalidArgument, "seccomp: \(syscall): argument index \(arg.index) is out of range 0...5")
        }
        let index = UInt32(arg.index)
        switch arg.op {
        case "SCMP_CMP_NE": return SeccompCondition(argument: index, .notEqual, arg.value)
        case "SCMP_CMP_LT": return SeccompCondition(argument: index, .lessThan, arg.value)
        case "SCMP_CMP_LE": return SeccompCondition(argument: index, .lessThanOrEqual, arg.value)
        case "SCMP_CMP_EQ": return SeccompCondition(argument: index, .equal, arg.value)
        case "SCMP_CMP_GE": return SeccompCondition(argument: index, .greaterThanOrEqual, arg.value)
        case "SCMP_CMP_GT": return SeccompCondition(argument: index, .greaterThan, arg.value)
        case "SCMP_CMP_MASKED_EQ": return SeccompCondition(argument: index, .maskedEqual(mask: arg.value), arg.valueTwo ?? 0)
        default: throw CoreError(.invalidArgument, "seccomp: \(syscall): unknown operator \"\(arg.op)\"")
        }
    }

    /// The condition lists to add as rules: all conditions in one rule (they must all hold),
    /// or, when an argument index repeats, which libseccomp cannot express in one rule, one
    /// rule per condition (runc's fallback: any of them then matches).
    static func conditionGroups(_ args: [LinuxSeccompArg], syscall: String) throws(CoreError) -> [[SeccompCondition]] {
        var conditions: [SeccompCondition] = []
        for arg in args {
            conditions.append(try condition(arg, syscall: syscall))
        }
        let indexes = Set(conditions.map(\.argument))
        return indexes.count == conditions.count ? [conditions] : conditions.map { [$0] }
    }
}
