// ProcessSetup+Credentials: steps 4–7 of ProcessSetup (see the order in ProcessSetup.swift) —
// the bounding set and keepcaps, the user switch (stdio ownership, setgroups, setresgid,
// setresuid last), the remaining capability sets, and no_new_privs. Matches runc's
// finalizeNamespace/setupUser and vmexec's "caps prepare → setuid last → caps finish".
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import LinuxSecurity
import OCI
import Sys

extension ProcessSetup {
    /// The capability sets of process.capabilities, parsed once; nil when the config has no
    /// `capabilities` object, in which case the init leaves its capabilities alone (as runc
    /// does). Unknown names fail; names the kernel does not support become warnings.
    func capabilityPlan() throws(ChildFailure) -> CapabilityPlan? {
        if let plan = cachedPlan { return plan }
        guard let caps = process.capabilities else { return nil }
        do {
            let plan = try CapabilityPlan(
                bounding: caps.bounding ?? [], effective: caps.effective ?? [], permitted: caps.permitted ?? [],
                inheritable: caps.inheritable ?? [], ambient: caps.ambient ?? [])
            warn(plan.unsupported.map { "ignoring capability \($0), which the running kernel does not support" })
            cachedPlan = plan
            return plan
        } catch {
            throw Self.failure("capabilities", error, detail: "process.capabilities")
        }
    }

    // MARK: 4. bounding set, keepcaps

    /// Drops every capability not in process.capabilities.bounding from the bounding set
    /// (needs CAP_SETPCAP: run it as root), then sets PR_SET_KEEPCAPS so that the permitted
    /// set survives `switchUser` when the uid is not 0.
    func dropBoundingSet() throws(ChildFailure) {
        if let plan = try capabilityPlan() {
            do { try plan.applyBoundingSet() } catch {
                throw Self.failure("capset", error, detail: "dropping the bounding set")
            }
        }
        do { try Linux.setKeepCapabilities(true) } catch {
            throw Self.failure("prctl", error)
        }
    }

    // MARK: 5. user

    /// Becomes process.user: hands stdio to the new uid (as runc's fixStdioPermissions does, so
    /// a non-root process can use its terminal), sets the supplementary groups (skipped when
    /// /proc/self/setgroups says "deny", as in an unprivileged user namespace, where setgroups
    /// always fails), then setresgid and finally setresuid — after the uid changes, the process
    /// may no longer change its groups.
    func switchUser() throws(ChildFailure) {
        let user = process.user
        try giveStdio(to: user.uid)
        if !Self.setgroupsDenied() {
            let gids = user.additionalGids ?? []
            do { try Credentials.setSupplementaryGroups(gids) } catch {
                throw Self.failure("setgroups", error, detail: "additionalGids \(gids)")
            }
        }
        do { try Credentials.setGroupID(user.gid) } catch {
            let hint = error.cause?.errno == EINVAL ? " (not mapped in the user namespace)" : ""
            throw Self.failure("setresgid", error, detail: "gid \(user.gid)\(hint)")
        }
        do { try Credentials.setUserID(user.uid) } catch {
            let hint = error.cause?.errno == EINVAL ? " (not mapped in the user namespace)" : ""
            throw Self.failure("setresuid", error, detail: "uid \(user.uid)\(hint)")
        }
    }

    /// Whether the setgroups file (/proc/self/setgroups by default) says "deny". A missing
    /// file (a kernel before 3.19) means allowed.
    static func setgroupsDenied(procFile: String = "/proc/self/setgroups") -> Bool {
        guard let text = ProcFS.read(procFile) else { return false }
        return text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first == "deny"
    }

    /// fchown(fd, uid, -1) for stdio, skipping descriptors that are closed, already owned by
    /// `uid`, or /dev/null. EPERM (an owner not mapped in our user namespace) and EROFS are
    /// ignored: better untouched stdio than a failed container.
    private func giveStdio(to uid: UInt32) throws(ChildFailure) {
        for fd: Int32 in 0...2 {
            var info = stat()
            guard fstat(fd, &info) == 0 else { continue }
            let isDevNull = info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0x103  // makedev(1, 3)
            if info.st_uid == uid || isDevNull { continue }
            if fchown(fd, uid, gid_t.max) != 0 {
                let code = errno
                if code == EPERM || code == EROFS { continue }
                throw ChildFailure(stage: "fchown", path: "/proc/self/fd/\(fd)", errno: code, message: "stdio to uid \(uid)")
            }
        }
    }

    // MARK: 6. capabilities

    /// Sets effective, permitted, inheritable and ambient from process.capabilities (nothing
    /// without a `capabilities` object), then clears PR_SET_KEEPCAPS. Ambient capabilities
    /// the kernel refuses become warnings, as in runc.
    func applyCapabilities() throws(ChildFailure) {
        if let plan = try capabilityPlan() {
            do { warn(try plan.applyProcessSets()) } catch {
                let sets = "effective=[\(Self.names(plan.effective))] permitted=[\(Self.names(plan.permitted))] inheritable=[\(Self.names(plan.inheritable))]"
                throw Self.failure("capset", error, detail: sets)
            }
        }
        do { try Linux.setKeepCapabilities(false) } catch {
            throw Self.failure("prctl", error)
        }
    }

    /// "CAP_CHOWN CAP_KILL" for error messages.
    static func names(_ set: CapabilitySet) -> String {
        set.capabilities.map(\.name).joined(separator: " ")
    }

    // MARK: 7. no_new_privs

    /// Sets no_new_privs when process.noNewPrivileges is true: from here on execve cannot
    /// grant privileges (set-uid bits, file capabilities), and seccomp loads unprivileged.
    func setNoNewPrivileges() throws(ChildFailure) {
        guard process.noNewPrivileges == true else { return }
        do { try Linux.setNoNewPrivileges() } catch {
            throw Self.failure("no_new_privs", error)
        }
    }
}
