// Seccomp: facts about the installed libseccomp (its version, syscall name lookup) and the
// actions a filter rule can take.
import CSeccomp
import Errdefs

/// libseccomp queries that need no filter.
public enum Seccomp {
    /// The version of the libseccomp linked at run time (seccomp_version).
    public static func libraryVersion() -> SeccompVersion {
        guard let version = seccomp_version() else { return SeccompVersion(major: 0, minor: 0, micro: 0) }
        return SeccompVersion(
            major: Int(version.pointee.major), minor: Int(version.pointee.minor), micro: Int(version.pointee.micro))
    }

    /// The native architecture's number for syscall `name`, or nil if libseccomp does not know it.
    public static func syscallNumber(_ name: String) -> Int32? {
        let number = seccomp_syscall_resolve_name(name)
        return number == __NR_SCMP_ERROR ? nil : number
    }
}

/// A libseccomp version, ordered numerically.
public struct SeccompVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Incompatible API changes.
    public var major: Int
    /// New features.
    public var minor: Int
    /// Fixes.
    public var micro: Int

    /// Creates a version from its parts.
    public init(major: Int, minor: Int, micro: Int) {
        self.major = major
        self.minor = minor
        self.micro = micro
    }

    public static func < (lhs: SeccompVersion, rhs: SeccompVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.micro) < (rhs.major, rhs.minor, rhs.micro)
    }

    public var description: String { "\(major).\(minor).\(micro)" }
}

/// What a seccomp filter does with a matching system call (the OCI spec's SCMP_ACT_* names).
public enum SeccompAction: Hashable, Sendable {
    /// Let the call through (SCMP_ACT_ALLOW).
    case allow
    /// Fail the call with this errno (SCMP_ACT_ERRNO), e.g. EPERM or ENOSYS.
    case errno(Int32)
    /// Kill the whole process (SCMP_ACT_KILL_PROCESS).
    case killProcess
    /// Kill the calling thread (SCMP_ACT_KILL_THREAD, the legacy SCMP_ACT_KILL).
    case killThread
    /// Send SIGSYS (SCMP_ACT_TRAP).
    case trap
    /// Allow but log (SCMP_ACT_LOG).
    case log
    /// Notify a ptrace tracer with this value (SCMP_ACT_TRACE).
    case trace(UInt16)

    /// libseccomp's 32-bit action value.
    public var rawValue: UInt32 {
        switch self {
        case .allow: SCMP_ACT_ALLOW
        case .errno(let code): berth_scmp_act_errno(UInt16(truncatingIfNeeded: code))
        case .killProcess: SCMP_ACT_KILL_PROCESS
        case .killThread: SCMP_ACT_KILL_THREAD
        case .trap: SCMP_ACT_TRAP
        case .log: SCMP_ACT_LOG
        case .trace(let message): berth_scmp_act_trace(message)
        }
    }
}
