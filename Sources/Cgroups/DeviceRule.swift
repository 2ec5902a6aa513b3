// DeviceRule: one OCI device-cgroup entry, validated and normalised — the shared input of the v1
// devices.allow/deny writer and the v2 eBPF program generator.
import Errdefs
import OCI

/// A validated device rule: type, optional major/minor (nil = any), access bits, allow or deny.
public struct DeviceRule: Sendable, Hashable, CustomStringConvertible {
    /// Which devices a rule covers.
    public enum Kind: Character, Sendable, Hashable, Comparable {
        /// Every device ("a"): the rule resets the default policy.
        case all = "a"
        /// Block devices ("b").
        case block = "b"
        /// Character devices ("c").
        case char = "c"

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Access bits, in the devices cgroup's "rwm" notation.
    public struct Access: OptionSet, Sendable, Hashable {
        /// The bits: read 1, write 2, mknod 4.
        public let rawValue: UInt8
        /// The set with bits `rawValue`.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// "r": open for reading.
        public static let read = Access(rawValue: 1)
        /// "w": open for writing.
        public static let write = Access(rawValue: 2)
        /// "m": mknod.
        public static let mknod = Access(rawValue: 4)
        /// "rwm".
        public static let all: Access = [.read, .write, .mknod]

        /// The "rwm"-style string, in that order.
        public var text: String {
            (contains(.read) ? "r" : "") + (contains(.write) ? "w" : "") + (contains(.mknod) ? "m" : "")
        }
    }

    /// Whether the rule allows (true) or denies (false).
    public var allow: Bool
    /// The device type.
    public var kind: Kind
    /// Major number, nil for any.
    public var major: Int64?
    /// Minor number, nil for any.
    public var minor: Int64?
    /// The access the rule is about.
    public var access: Access

    /// Creates a rule from its parts.
    public init(allow: Bool, kind: Kind, major: Int64? = nil, minor: Int64? = nil, access: Access = .all) {
        self.allow = allow
        self.kind = kind
        self.major = major
        self.minor = minor
        self.access = access
    }

    /// Validates an OCI rule: type nil or "a"/"b"/"c"; a negative major/minor means any (runc's
    /// -1); access nil or empty means "rwm", otherwise only the letters r, w and m.
    public init(_ rule: LinuxDeviceCgroup) throws(CoreError) {
        let typeText = rule.type ?? "a"
        guard typeText.count == 1, let first = typeText.first, let kind = Kind(rawValue: first) else {
            throw CoreError.invalidArgument("device rule: invalid type \"\(typeText)\" (want a, b or c)")
        }
        var access: Access = []
        for letter in rule.access ?? "" {
            switch letter {
            case "r": access.insert(.read)
            case "w": access.insert(.write)
            case "m": access.insert(.mknod)
            default: throw CoreError.invalidArgument("device rule: invalid access \"\(rule.access ?? "")\" (want r, w, m)")
            }
        }
        for number in [rule.major, rule.minor] {
            // Linux device numbers have 12 (major) and 20 (minor) bits; the eBPF compare takes an int32.
            if let number, number > Int64(Int32.max) {
                throw CoreError.invalidArgument("device rule: device number \(number) is out of range")
            }
        }
        self.init(
            allow: rule.allow, kind: kind, major: rule.major.flatMap { $0 < 0 ? nil : $0 },
            minor: rule.minor.flatMap { $0 < 0 ? nil : $0 }, access: access.isEmpty ? .all : access)
    }

    /// The devices cgroup v1 notation: "c 1:3 rwm", "a *:* rwm".
    public var description: String {
        "\(kind.rawValue) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access.text)"
    }
}
