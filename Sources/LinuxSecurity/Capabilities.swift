// Capabilities: the capability sets of the calling thread, read through libcap — effective,
// permitted and inheritable (capget), bounding (PR_CAPBSET_READ) and ambient (PR_CAP_AMBIENT).
import CCap
import Errdefs
import Glibc

/// A thread's five capability sets.
public struct Capabilities: Hashable, Sendable, CustomStringConvertible {
    /// What the kernel checks now.
    public var effective: CapabilitySet
    /// The ceiling for effective (and inheritable without CAP_SETPCAP).
    public var permitted: CapabilitySet
    /// What may pass to a program across execve (with file or ambient capabilities).
    public var inheritable: CapabilitySet
    /// The limit on what any execve can grant, for this thread and its children.
    public var bounding: CapabilitySet
    /// What an unprivileged program keeps in permitted and effective across execve.
    public var ambient: CapabilitySet

    /// Creates the sets from their parts.
    public init(
        effective: CapabilitySet, permitted: CapabilitySet, inheritable: CapabilitySet,
        bounding: CapabilitySet, ambient: CapabilitySet
    ) {
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
        self.bounding = bounding
        self.ambient = ambient
    }

    /// The calling thread's sets. Threads of one process normally share them; the runtime
    /// changes them only in its single-threaded init.
    public static func current() throws(CoreError) -> Capabilities {
        guard let state = cap_get_proc() else {
            throw CoreError(SystemCallFailure(call: "cap_get_proc", errno: errno))
        }
        defer { cap_free(UnsafeMutableRawPointer(state)) }

        var result = Capabilities(effective: .init(), permitted: .init(), inheritable: .init(), bounding: .init(), ambient: .init())
        for capability in Capability.supported() where capability.rawValue < 64 {
            if try isSet(state, capability, CAP_EFFECTIVE) { result.effective.insert(capability) }
            if try isSet(state, capability, CAP_PERMITTED) { result.permitted.insert(capability) }
            if try isSet(state, capability, CAP_INHERITABLE) { result.inheritable.insert(capability) }
            if try isEnabled("cap_get_bound", cap_get_bound(capability.rawValue), capability) {
                result.bounding.insert(capability)
            }
            if try isEnabled("cap_get_ambient", cap_get_ambient(capability.rawValue), capability) {
                result.ambient.insert(capability)
            }
        }
        return result
    }

    public var description: String {
        "eff=\(effective) prm=\(permitted) inh=\(inheritable) bnd=\(bounding) amb=\(ambient)"
    }

    private static func isSet(_ state: cap_t, _ capability: Capability, _ flag: cap_flag_t) throws(CoreError) -> Bool {
        var value = CAP_CLEAR
        guard cap_get_flag(state, capability.rawValue, flag, &value) == 0 else {
            let code = errno  // before `name`, which calls into libcap again
            throw CoreError(SystemCallFailure(call: "cap_get_flag", path: capability.name, errno: code))
        }
        return value == CAP_SET
    }

    /// cap_get_bound and cap_get_ambient answer 1, 0, or -1 with errno.
    private static func isEnabled(_ call: String, _ answer: Int32, _ capability: Capability) throws(CoreError) -> Bool {
        guard answer >= 0 else {
            let code = errno  // before `name`, which calls into libcap again
            throw CoreError(SystemCallFailure(call: call, path: capability.name, errno: code))
        }
        return answer == 1
    }
}
