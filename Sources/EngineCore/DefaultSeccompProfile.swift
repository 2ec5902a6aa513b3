// DefaultSeccompProfile: the seccomp filter berth-engine gives every container unless told
// otherwise (--privileged, --security-opt seccomp=unconfined or a profile of the user's own).
// An allowlist: any syscall not named fails with EPERM. On top of the everyday syscalls
// (DefaultSeccompProfile+Syscalls.swift) it allows
// - what each capability the container holds is for (CAP_SYS_ADMIN: mount, unshare, setns, ...;
//   CAP_SYS_PTRACE: ptrace and friends; CAP_SYS_TIME: setting clocks; ...),
// - the syscalls of the engine's CPU architecture, with its compat ABIs in the filter,
// - ptrace and process_vm_{readv,writev} to everyone on kernels from 4.8,
// - socket(2) for every address family but AF_ALG (kernel crypto) and AF_VSOCK (host-guest
//   sockets),
// - personality(2) only for the harmless personas (Linux, 32-bit uname, UNAME26, or a query),
// - without CAP_SYS_ADMIN: clone(2) only when it asks for no new namespace (its flags argument —
//   the second one on s390 — masked with the CLONE_NEW* bits must be 0), and clone3 failing with
//   ENOSYS instead of EPERM: its flags sit in a struct seccomp cannot read, and ENOSYS makes libc
//   fall back to clone, which the filter can judge.
import OCI

/// Builds berth's default seccomp profile for one container.
enum DefaultSeccompProfile {
    /// errno for every syscall the profile does not allow.
    static let deniedErrno: UInt32 = 1  // EPERM
    /// errno for clone3 without CAP_SYS_ADMIN.
    static let clone3Errno: UInt32 = 38  // ENOSYS
    /// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET.
    static let namespaceFlags: UInt64 = 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000
    /// Address families socket(2) refuses: everything in between is allowed.
    static let afALG: UInt64 = 38
    static let afVSOCK: UInt64 = 40
    /// personality(2) arguments allowed: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32,
    /// and 0xffffffff, which only reads the current persona.
    static let personalities: [UInt64] = [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff]

    /// The profile for a container whose bounding set is `capabilities` (names like
    /// "CAP_SYS_ADMIN"), running on `architecture` under kernel `kernel`.
    static func make(capabilities: [String], architecture: SeccompArchitecture = .native,
                     kernel: KernelVersion = .running) -> LinuxSeccomp {
        let held = Set(capabilities)
        var allowed = NameList(everyday)
        if kernel >= tracingSafeFrom { allowed.append(tracing) }
        allowed.append(architectureSyscalls[architecture.dockerName] ?? [])
        for grant in capabilityGrants where held.contains(grant.capability) {
            allowed.append(grant.syscalls)
        }
        var rules = [LinuxSyscall(names: allowed.names, action: "SCMP_ACT_ALLOW")]
        rules += socketRules() + personalityRules()
        if !held.contains("CAP_SYS_ADMIN") {
            rules += cloneRules(architecture: architecture)
        }
        return LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: deniedErrno,
                            architectures: architecture.filterArchitectures.isEmpty ? nil : architecture.filterArchitectures,
                            syscalls: rules)
    }

    /// socket(2) for family < AF_ALG, the one family between AF_ALG and AF_VSOCK, and family > AF_VSOCK.
    static func socketRules() -> [LinuxSyscall] {
        [
            LinuxSeccompArg(index: 0, value: afALG, op: "SCMP_CMP_LT"),
            LinuxSeccompArg(index: 0, value: afALG + 1, op: "SCMP_CMP_EQ"),
            LinuxSeccompArg(index: 0, value: afVSOCK, op: "SCMP_CMP_GT"),
        ].map { LinuxSyscall(names: ["socket"], action: "SCMP_ACT_ALLOW", args: [$0]) }
    }

    /// One rule per allowed persona (a rule's conditions must all hold, so alternatives are rules).
    static func personalityRules() -> [LinuxSyscall] {
        personalities.map {
            LinuxSyscall(names: ["personality"], action: "SCMP_ACT_ALLOW", args: [LinuxSeccompArg(index: 0, value: $0, op: "SCMP_CMP_EQ")])
        }
    }

    /// clone without namespace flags, and clone3 answered with ENOSYS.
    static func cloneRules(architecture: SeccompArchitecture) -> [LinuxSyscall] {
        // s390 passes the stack first and the flags second.
        let flagsIndex: UInt = architecture.dockerName == "s390x" ? 1 : 0
        let noNewNamespace = LinuxSeccompArg(index: flagsIndex, value: namespaceFlags, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")
        return [
            LinuxSyscall(names: ["clone"], action: "SCMP_ACT_ALLOW", args: [noNewNamespace]),
            LinuxSyscall(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: clone3Errno),
        ]
    }

    /// Names in first-seen order, each once (a capability may grant what is already allowed).
    struct NameList {
        private(set) var names: [String] = []
        private var seen: Set<String> = []

        init(_ names: [String]) { append(names) }

        mutating func append(_ more: [String]) {
            for name in more where seen.insert(name).inserted { names.append(name) }
        }
    }
}
