// Capability: one Linux capability by number, with libcap's name mapping (cap_from_name,
// cap_to_name) so OCI specs ("CAP_SYS_ADMIN") and the kernel (21) meet in one type.
import CCap
import Errdefs
import Glibc

/// A Linux capability, identified by its kernel number (CAP_SYS_ADMIN is 21).
public struct Capability: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The kernel's capability number.
    public let rawValue: Int32

    /// The capability numbered `rawValue`.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Parses a name as OCI writes it ("CAP_SYS_ADMIN") or libcap does ("cap_sys_admin"), or a
    /// decimal number; nil for anything libcap does not know.
    public init?(name: String) {
        var value: cap_value_t = -1
        guard cap_from_name(name, &value) == 0, value >= 0 else { return nil }
        rawValue = value
    }

    /// The name in OCI's spelling ("CAP_SYS_ADMIN"), or the number for a capability newer than
    /// the installed libcap.
    public var name: String {
        guard let text = cap_to_name(rawValue) else { return String(rawValue) }
        defer { cap_free(text) }
        return String(cString: text).uppercased()
    }

    /// Every capability the running kernel supports (0 up to /proc/sys/kernel/cap_last_cap).
    public static func supported() -> [Capability] {
        (0..<cap_max_bits()).map { Capability(rawValue: $0) }
    }

    public static func < (lhs: Capability, rhs: Capability) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { name }
}

extension Capability {
    /// CAP_CHOWN: change file owners.
    public static let chown = Capability(rawValue: 0)
    /// CAP_DAC_OVERRIDE: bypass file permission checks.
    public static let dacOverride = Capability(rawValue: 1)
    /// CAP_FOWNER: bypass checks that need the file's owner.
    public static let fowner = Capability(rawValue: 3)
    /// CAP_KILL: signal any process.
    public static let kill = Capability(rawValue: 5)
    /// CAP_SETGID: change group ids.
    public static let setgid = Capability(rawValue: 6)
    /// CAP_SETUID: change user ids.
    public static let setuid = Capability(rawValue: 7)
    /// CAP_SETPCAP: change capability sets and the bounding set.
    public static let setpcap = Capability(rawValue: 8)
    /// CAP_NET_BIND_SERVICE: bind ports below 1024.
    public static let netBindService = Capability(rawValue: 10)
    /// CAP_NET_ADMIN: configure network interfaces, routes, firewall.
    public static let netAdmin = Capability(rawValue: 12)
    /// CAP_NET_RAW: raw and packet sockets.
    public static let netRaw = Capability(rawValue: 13)
    /// CAP_SYS_CHROOT: chroot.
    public static let sysChroot = Capability(rawValue: 18)
    /// CAP_SYS_PTRACE: trace any process.
    public static let sysPtrace = Capability(rawValue: 19)
    /// CAP_SYS_ADMIN: mount, namespaces, and much else.
    public static let sysAdmin = Capability(rawValue: 21)
    /// CAP_SYS_RESOURCE: exceed resource limits.
    public static let sysResource = Capability(rawValue: 24)
    /// CAP_MKNOD: create device nodes.
    public static let mknod = Capability(rawValue: 27)
    /// CAP_AUDIT_WRITE: write to the audit log.
    public static let auditWrite = Capability(rawValue: 29)
}
