// ProcessSetup: the process half of the container's init — what runs in PID 1 after pivot_root and
// before execve: resource limits, oom_score_adj, seccomp, the capability sets, the user switch,
// no_new_privs and the umask, plus the PATH lookup of the program. The init is single-threaded
// (a fresh `berth-runtime init`), which is what makes changing its own credentials safe.
//
// The order, and why (runc's standard_init_linux.go + finalizeNamespace; vmexec's tail; crun's
// seccomp.c):
//   1. applyRlimits      while still root: raising a hard limit needs CAP_SYS_RESOURCE.
//   2. applyOOMScoreAdj  while still root: lowering the score needs CAP_SYS_RESOURCE.
//   3. prepareSeccomp    compile the profile with libseccomp early (it allocates, and a bad
//                        profile should fail before anything irreversible); later only a load.
//      (loadSeccomp)     here instead of step 8 when `needsEarlySeccomp`: without no_new_privs,
//                        loading a filter needs CAP_SYS_ADMIN, which steps 4–6 may drop. The
//                        filter then also judges steps 4–8 and the exec, as in runc.
//   4. dropBoundingSet   PR_CAPBSET_DROP needs CAP_SETPCAP, so before leaving root; then
//                        PR_SET_KEEPCAPS so permitted survives the uid switch.
//   5. switchUser        stdio ownership, setgroups, setresgid, setresuid — uid last, because
//                        after it the process can no longer change its groups.
//   6. applyCapabilities effective/permitted/inheritable/ambient now that the uid is final
//                        (setuid away from 0 clears effective), then keepcaps off.
//   7. setNoNewPrivileges if process.noNewPrivileges.
//   8. loadSeccomp       as late as possible, so the filter judges as few init syscalls as
//                        possible (with NNP set it needs no privilege).
//   9. applyUmask        then the init waits on exec.fifo and calls execve.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import LinuxSecurity
import OCI
import Sys

/// Applies `process` (and the container's seccomp profile) to the calling process, step by step.
/// Each step throws a ChildFailure naming its stage. Not Sendable and not for a multi-threaded
/// process: it changes the credentials of the calling thread only.
struct ProcessSetup {
    /// The OCI process being set up.
    let process: OCI.Process
    /// linux.seccomp, if any.
    let seccomp: LinuxSeccomp?
    /// The container's environment (for PATH).
    let env: [String]
    /// What earlier steps leave for later ones: the compiled filter, the parsed capabilities,
    /// warnings. A reference, so that the steps need not be `mutating` on a `let` setup.
    private let state = State()

    private final class State {
        var program: SeccompProgram?
        var seccompLoaded = false
        var plan: CapabilityPlan?
        var warnings: [String] = []
    }

    /// A setup for `process`; nothing is checked or applied until the steps run.
    init(process: OCI.Process, seccomp: LinuxSeccomp?, env: [String]) {
        self.process = process
        self.seccomp = seccomp
        self.env = env
    }

    /// Non-fatal findings so far (capabilities the kernel does not know, ambient capabilities
    /// that could not be raised), for the caller to log; runc prints the same as warnings.
    var warnings: [String] { state.warnings }

    /// Checks everything that can be checked without side effects — rlimit names, capability
    /// names, the seccomp profile (compiled and kept for `loadSeccomp`) — so that a bad config
    /// fails `create` before the init reports "ready".
    func validate() throws(ChildFailure) {
        _ = try resolvedRlimits()
        _ = try capabilityPlan()
        try prepareSeccomp()
    }

    // MARK: 1. rlimits

    /// The resource numbers of <sys/resource.h> by OCI name.
    static let rlimitResources: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
        "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
        "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
        "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    /// The resource number for an OCI rlimit name ("RLIMIT_NOFILE" → 7), nil if unknown.
    static func rlimitResource(_ name: String) -> Int32? { rlimitResources[name] }

    /// setrlimit for each of process.rlimits. Every name is checked before any limit changes.
    func applyRlimits() throws(ChildFailure) {
        for (resource, limit) in try resolvedRlimits() {
            var value = rlimit(rlim_cur: rlim_t(limit.soft), rlim_max: rlim_t(limit.hard))
            if setrlimit(__rlimit_resource_t(UInt32(resource)), &value) != 0 {
                let code = errno
                var message = "\(limit.type) soft=\(limit.soft) hard=\(limit.hard)"
                if code == EINVAL && limit.soft > limit.hard { message += ": the soft limit exceeds the hard limit" }
                if code == EPERM { message += ": raising a hard limit needs CAP_SYS_RESOURCE" }
                throw ChildFailure(stage: "setrlimit", path: "", errno: code, message: message)
            }
        }
    }

    private func resolvedRlimits() throws(ChildFailure) -> [(Int32, POSIXRlimit)] {
        var result: [(Int32, POSIXRlimit)] = []
        for limit in process.rlimits ?? [] {
            guard let resource = Self.rlimitResource(limit.type) else {
                throw ChildFailure(stage: "setrlimit", path: "", errno: 0, message: "unknown rlimit \"\(limit.type)\"")
            }
            result.append((resource, limit))
        }
        return result
    }

    // MARK: 2. oom_score_adj

    /// Writes process.oomScoreAdj to /proc/self/oom_score_adj, when set. Lowering it below the
    /// process's minimum needs CAP_SYS_RESOURCE (EACCES otherwise), which a host whose bounding
    /// set lacks it cannot grant even to root.
    func applyOOMScoreAdj() throws(ChildFailure) {
        try applyOOMScoreAdj(path: "/proc/self/oom_score_adj")
    }

    /// `applyOOMScoreAdj()` against another file, for tests.
    func applyOOMScoreAdj(path: String) throws(ChildFailure) {
        guard let score = process.oomScoreAdj else { return }
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ChildFailure(stage: "oom_score_adj", path: path, errno: errno, message: "open")
        }
        defer { close(fd) }
        let text = String(score)
        let written = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        if written < 0 {
            let code = errno
            var message = "writing \(score)"
            if code == EACCES || code == EPERM {
                message += ": lowering oom_score_adj needs CAP_SYS_RESOURCE"
                if let bounding = try? Capabilities.current().bounding, !bounding.contains(.sysResource) {
                    message += ", which is not in this host's bounding set"
                }
            } else if code == EINVAL {
                message += ": oom_score_adj must be within -1000...1000"
            }
            throw ChildFailure(stage: "oom_score_adj", path: path, errno: code, message: message)
        }
    }

    // MARK: 3 and 8. seccomp

    /// Takes a program compiled earlier (SeccompCache, before the namespaces) for linux.seccomp.
    func adopt(_ program: SeccompProgram?) {
        if let program, seccomp != nil { state.program = program }
    }

    /// Compiles linux.seccomp into BPF once and keeps it for `loadSeccomp`; nil without a
    /// profile. Returns the program for callers that want to inspect it.
    @discardableResult
    func prepareSeccomp() throws(ChildFailure) -> SeccompProgram? {
        guard let seccomp else { return nil }
        if let program = state.program { return program }
        do {
            let program = try SeccompProfile(seccomp).compile()
            state.program = program
            return program
        } catch {
            throw Self.failure("seccomp", error, detail: "compiling linux.seccomp")
        }
    }

    /// True when the filter must be loaded before the capabilities are dropped: without
    /// no_new_privs the kernel lets only a CAP_SYS_ADMIN holder install a filter, so if the
    /// final effective set lacks CAP_SYS_ADMIN the init loads it right after `prepareSeccomp`,
    /// while still root (runc does so whenever noNewPrivileges is false). The filter then also
    /// applies to the rest of the init (capset, setgroups, setresuid, prctl, execve), which a
    /// sane profile allows.
    var needsEarlySeccomp: Bool {
        guard seccomp != nil, process.noNewPrivileges != true else { return false }
        guard let capabilities = process.capabilities else {
            // No capability changes: root keeps CAP_SYS_ADMIN; any other uid loses effective.
            return process.user.uid != 0
        }
        let keepsAdmin = (capabilities.effective ?? []).contains { (try? CapabilityPlan.capability(named: $0)) == .sysAdmin }
        return !keepsAdmin
    }

    /// Installs the compiled filter (compiling it now if `prepareSeccomp` was not called). Runs
    /// at most once: a second call, e.g. after an early load, does nothing.
    func loadSeccomp() throws(ChildFailure) {
        guard !state.seccompLoaded, let program = try prepareSeccomp() else { return }
        do {
            try program.load()
        } catch {
            var detail = "loading \(program.count) BPF instructions"
            if error.cause?.errno == EACCES {
                detail += " (without no_new_privs this needs CAP_SYS_ADMIN)"
            }
            throw Self.failure("seccomp", error, detail: detail)
        }
        state.seccompLoaded = true
    }

    // MARK: 9. umask

    /// Sets the umask from process.user.umask (0022 when absent).
    /// chdir to process.cwd, then proves the result lies inside this process's root: a cwd
    /// reached through a descriptor that points outside (e.g. "/proc/self/fd/N" naming a leaked
    /// host directory, CVE-2024-21626) makes getcwd fail with ENOENT ("(unreachable)" for the
    /// kernel), and is refused rather than handed to the container.
    func enterWorkingDirectory() throws(ChildFailure) {
        guard chdir(process.cwd) == 0 else {
            throw ChildFailure(stage: "chdir", path: process.cwd, errno: errno, message: "process.cwd")
        }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let resolved = getcwd(&buffer, buffer.count) != nil
        guard resolved, buffer[0] == 0x2F /* "/" */ else {
            let code = resolved ? ENOENT : errno
            throw ChildFailure(stage: "chdir", path: process.cwd, errno: code,
                               message: "process.cwd resolves outside the container's root")
        }
    }

    func applyUmask() {
        _ = umask(mode_t(process.user.umask ?? 0o022))
    }

    // MARK: Errors

    /// A ChildFailure for `stage` from a CoreError: the failed call (and its path) as the
    /// message, since ChildFailure adds the errno text itself.
    static func failure(_ stage: String, _ error: CoreError, detail: String = "") -> ChildFailure {
        guard let cause = error.cause else {
            let message = detail.isEmpty ? error.message : "\(detail): \(error.message)"
            return ChildFailure(stage: stage, path: "", errno: 0, message: message)
        }
        var call = cause.call
        if let path = cause.path { call += " \(path)" }
        return ChildFailure(stage: stage, path: "", errno: cause.errno, message: detail.isEmpty ? call : "\(detail): \(call)")
    }

    func warn(_ messages: [String]) {
        state.warnings += messages
    }

    var cachedPlan: CapabilityPlan? {
        get { state.plan }
        nonmutating set { state.plan = newValue }
    }
}
