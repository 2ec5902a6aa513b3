// DeviceEmulator: what a list of device rules means, computed the way the cgroup v1 devices
// controller would apply them one by one — a default policy plus exceptions. The v2 eBPF program
// is generated from this result, so v1 and v2 containers get the same device access. A port of
// runc's devices emulator (opencontainers/cgroups devices/devices_emulator.go), written anew.
import Errdefs

/// The state of a v1 devices cgroup after a sequence of rules: allow-all or deny-all by default,
/// plus exceptions with their access bits.
struct DeviceEmulator: Sendable, Equatable {
    /// What an exception matches: a device type (block or char) and major/minor (nil = any).
    struct Key: Hashable, Sendable {
        var kind: DeviceRule.Kind
        var major: Int64?
        var minor: Int64?
    }

    /// true: everything is allowed except the exceptions; false: nothing is, except them.
    private(set) var defaultAllow = false
    /// Exceptions to the default and the access bits they cover.
    private(set) var exceptions: [Key: DeviceRule.Access] = [:]

    /// The state after applying `rules` in order to a deny-all cgroup.
    init(rules: [DeviceRule]) throws(CoreError) {
        for rule in rules {
            try apply(rule)
        }
    }

    /// Applies one rule as the kernel would: an "a" rule resets the default and drops every
    /// exception; a rule agreeing with the default removes access from exceptions; a rule
    /// contradicting it adds an exception (merged with an existing one for the same device).
    mutating func apply(_ rule: DeviceRule) throws(CoreError) {
        guard rule.kind != .all else {
            defaultAllow = rule.allow
            exceptions = [:]
            return
        }
        let key = Key(kind: rule.kind, major: rule.major, minor: rule.minor)
        if rule.allow == defaultAllow {
            try remove(rule.access, from: key, rule: rule)
        } else {
            exceptions[key, default: []].formUnion(rule.access)
        }
    }

    /// The exceptions as rules that contradict the default, sorted by (major, minor, type) with
    /// "any" first, so the same state always yields the same program.
    var exceptionRules: [DeviceRule] {
        exceptions.map { key, access in
            DeviceRule(allow: !defaultAllow, kind: key.kind, major: key.major, minor: key.minor, access: access)
        }.sorted { a, b in
            let left = (a.major ?? -1, a.minor ?? -1, a.kind.rawValue)
            let right = (b.major ?? -1, b.minor ?? -1, b.kind.rawValue)
            return left < right
        }
    }

    /// Removes `access` from the exception `key`. cgroup v1 silently ignores a removal that would
    /// punch a hole in a wildcard exception ("c *:* rwm" then "c 1:3 r" the other way), leaving
    /// more access than the rules suggest; like runc, refuse such rule lists instead.
    private mutating func remove(_ access: DeviceRule.Access, from key: Key, rule: DeviceRule) throws(CoreError) {
        let wider = [
            Key(kind: key.kind, major: nil, minor: key.minor),
            Key(kind: key.kind, major: key.major, minor: nil),
            Key(kind: key.kind, major: nil, minor: nil),
        ]
        for candidate in wider where candidate != key {
            if let existing = exceptions[candidate], !existing.intersection(access).isEmpty {
                let shown = DeviceRule(allow: !defaultAllow, kind: candidate.kind, major: candidate.major, minor: candidate.minor, access: existing)
                throw CoreError.invalidArgument(
                    "device rule \"\(rule)\" cannot punch a hole in the wider rule \"\(shown)\" (not supported by the devices cgroup)")
            }
        }
        guard let existing = exceptions[key] else { return }
        let remaining = existing.subtracting(access)
        exceptions[key] = remaining.isEmpty ? nil : remaining
    }
}
