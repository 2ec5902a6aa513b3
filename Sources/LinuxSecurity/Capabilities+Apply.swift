// Capabilities+Apply: changing the calling thread's capability sets with libcap, in the two steps
// a container init needs around its uid switch (runc's finalizeNamespace, vmexec's caps
// prepare/finish): the bounding set is dropped while still root (PR_CAPBSET_DROP needs
// CAP_SETPCAP), then effective/permitted/inheritable (capset) and ambient are set after setuid.
import CCap
import Errdefs
import Glibc

/// The capability sets a process should end with, parsed from OCI names ("CAP_NET_RAW").
///
/// Names libcap does not know are errors; names libcap knows but the running kernel does not
/// support are left out and listed in `unsupported` (runc ignores them with a warning, so a
/// profile written for a newer kernel still runs).
public struct CapabilityPlan: Hashable, Sendable {
    /// The limit on what any later execve can grant.
    public var bounding: CapabilitySet
    /// What the kernel checks.
    public var effective: CapabilitySet
    /// The ceiling for effective.
    public var permitted: CapabilitySet
    /// What may pass across execve.
    public var inheritable: CapabilitySet
    /// What a non-root program keeps across execve (each must also be permitted and inheritable).
    public var ambient: CapabilitySet
    /// Names known to libcap but beyond the kernel's last capability, sorted, without repeats.
    public var unsupported: [String]

    /// A plan from sets already parsed.
    public init(
        bounding: CapabilitySet, effective: CapabilitySet, permitted: CapabilitySet,
        inheritable: CapabilitySet, ambient: CapabilitySet
    ) {
        self.bounding = bounding
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
        self.ambient = ambient
        unsupported = []
    }

    /// A plan from OCI names. Throws invalidArgument naming the first unknown capability
    /// (`unknown capability "CAP_FOO"`), or the effective ones missing from permitted (which
    /// capset would refuse with a bare EPERM).
    public init(
        bounding: [String], effective: [String], permitted: [String], inheritable: [String], ambient: [String]
    ) throws(CoreError) {
        var unsupported: Set<String> = []
        func parse(_ names: [String]) throws(CoreError) -> CapabilitySet {
            var set = CapabilitySet()
            for name in names {
                if let capability = try CapabilityPlan.capability(named: name) {
                    set.insert(capability)
                } else {
                    unsupported.insert(name)
                }
            }
            return set
        }
        self.bounding = try parse(bounding)
        self.effective = try parse(effective)
        self.permitted = try parse(permitted)
        self.inheritable = try parse(inheritable)
        self.ambient = try parse(ambient)
        self.unsupported = unsupported.sorted()
        try checkEffectiveIsPermitted()
    }

    private func checkEffectiveIsPermitted() throws(CoreError) {
        let stray = CapabilitySet(bits: effective.bits & ~permitted.bits)
        guard stray.isEmpty else {
            let names = stray.capabilities.map(\.name).joined(separator: ", ")
            throw CoreError(.invalidArgument, "effective capabilities \(names) are not in the permitted set")
        }
    }

    /// The capability an OCI name stands for, or nil when libcap knows it but the running
    /// kernel does not. Only the OCI spelling is accepted ("CAP_SYS_ADMIN", not "sys_admin"
    /// or "21"); anything else throws invalidArgument.
    public static func capability(named name: String) throws(CoreError) -> Capability? {
        // cap_from_name also takes lower case, numbers and names without "cap_"; the round trip
        // through `name` (upper-cased cap_to_name) keeps only the canonical spelling.
        guard name.hasPrefix("CAP_"), let capability = Capability(name: name), capability.name == name else {
            throw CoreError(.invalidArgument, "unknown capability \"\(name)\"")
        }
        return capability.rawValue < cap_max_bits() ? capability : nil
    }

    /// Removes from the bounding set every supported capability not in `bounding`
    /// (cap_drop_bound). Needs CAP_SETPCAP, so it runs before the switch away from root; only
    /// capabilities still in the set are dropped, so a set that is already small costs nothing.
    public func applyBoundingSet() throws(CoreError) {
        for capability in Capability.supported() where !bounding.contains(capability) {
            let present = cap_get_bound(capability.rawValue)
            guard present >= 0 else {
                let code = errno
                throw CoreError(SystemCallFailure(call: "cap_get_bound", path: capability.name, errno: code))
            }
            guard present == 1 else { continue }
            guard cap_drop_bound(capability.rawValue) == 0 else {
                let code = errno
                throw CoreError(SystemCallFailure(call: "cap_drop_bound", path: capability.name, errno: code))
            }
        }
    }

    /// Sets effective, permitted and inheritable in one capset (cap_set_proc), then replaces the
    /// ambient set: cleared with cap_reset_ambient, each member raised with cap_set_ambient.
    /// Returns a warning for each ambient capability the kernel refused (runc only warns too:
    /// a capability not both permitted and inheritable cannot be ambient). Throws
    /// invalidArgument when effective is not a subset of permitted, which capset would reject
    /// with a bare EPERM.
    @discardableResult
    public func applyProcessSets() throws(CoreError) -> [String] {
        try checkEffectiveIsPermitted()
        guard let state = cap_init() else {
            throw CoreError(SystemCallFailure(call: "cap_init", errno: errno))
        }
        defer { cap_free(UnsafeMutableRawPointer(state)) }
        for (flag, set) in [(CAP_EFFECTIVE, effective), (CAP_PERMITTED, permitted), (CAP_INHERITABLE, inheritable)] {
            let values = set.capabilities.map(\.rawValue)
            guard !values.isEmpty else { continue }
            guard cap_set_flag(state, flag, Int32(values.count), values, CAP_SET) == 0 else {
                throw CoreError(SystemCallFailure(call: "cap_set_flag", errno: errno))
            }
        }
        guard cap_set_proc(state) == 0 else {
            let code = errno
            throw CoreError(
                SystemCallFailure(call: "cap_set_proc", errno: code),
                context: "effective=\(effective) permitted=\(permitted) inheritable=\(inheritable)")
        }

        // EINVAL: a kernel without ambient capabilities (before 4.3), which has nothing to clear.
        if cap_reset_ambient() != 0 {
            let code = errno
            if code != EINVAL {
                throw CoreError(SystemCallFailure(call: "cap_reset_ambient", errno: code))
            }
        }
        var warnings: [String] = []
        for capability in ambient.capabilities where cap_set_ambient(capability.rawValue, CAP_SET) != 0 {
            let code = errno
            warnings.append("cannot raise ambient capability \(capability.name): \(String(cString: strerror(code)))")
        }
        return warnings
    }
}

extension Capabilities {
    /// Gives the calling thread exactly these sets, for a process that keeps its uid: the
    /// bounding set first (while CAP_SETPCAP is still effective), then the other four. A process
    /// that changes uid calls the two `CapabilityPlan` steps around setresuid instead, with
    /// PR_SET_KEEPCAPS set so permitted survives the switch. Returns the plan's warnings
    /// (unsupported names, ambient capabilities that could not be raised).
    @discardableResult
    public static func apply(
        bounding: [String], effective: [String], permitted: [String], inheritable: [String], ambient: [String]
    ) throws(CoreError) -> [String] {
        let plan = try CapabilityPlan(
            bounding: bounding, effective: effective, permitted: permitted, inheritable: inheritable, ambient: ambient)
        try plan.applyBoundingSet()
        let warnings = try plan.applyProcessSets()
        return plan.unsupported.map { "ignoring capability \($0), which the running kernel does not support" } + warnings
    }
}
