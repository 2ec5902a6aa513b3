// SeccompFilter: builds a seccomp filter with libseccomp (default action plus per-syscall rules),
// exports it as classic BPF and loads it. crun's model: compile early, load as late as possible.
import CSeccomp
import Errdefs
import Glibc

/// A seccomp filter under construction. Non-copyable: it owns the libseccomp context and
/// releases it exactly once. Not thread-safe (libseccomp contexts are not).
public struct SeccompFilter: ~Copyable {
    /// Internal, not private: SeccompFilter+Rules.swift adds conditional rules and attributes to it.
    let context: scmp_filter_ctx

    /// A filter applying `defaultAction` to every call no rule matches, for the native
    /// architecture. By default `load()` also sets no_new_privs; see `setNoNewPrivileges(_:)`.
    public init(defaultAction: SeccompAction) throws(CoreError) {
        guard let context = seccomp_init(defaultAction.rawValue) else {
            throw CoreError(.invalidArgument, "seccomp_init: invalid default action \(defaultAction)")
        }
        self.context = context
    }

    deinit {
        seccomp_release(context)
    }

    /// Applies `action` to every call of syscall `name` (no argument conditions). Throws notFound
    /// for a name libseccomp does not know; libseccomp itself refuses (EACCES) a rule whose
    /// action equals the default.
    public mutating func add(_ action: SeccompAction, syscall name: String) throws(CoreError) {
        guard let number = Seccomp.syscallNumber(name) else {
            throw CoreError(.notFound, "seccomp: unknown syscall \(name)")
        }
        try check("seccomp_rule_add", path: name, seccomp_rule_add_array(context, action.rawValue, number, 0, nil))
    }

    /// Also matches calls made through architecture `name` ("x86", "x32", "aarch64", …), as
    /// Docker's profile does for 32-bit compat calls.
    public mutating func addArchitecture(_ name: String) throws(CoreError) {
        let token = seccomp_arch_resolve_name(name)
        guard token != 0 else {
            throw CoreError(.notFound, "seccomp: unknown architecture \(name)")
        }
        let result = seccomp_arch_add(context, token)
        // -EEXIST: already present (the native one always is): not an error for the caller.
        if result != -EEXIST {
            try check("seccomp_arch_add", path: name, result)
        }
    }

    /// Whether `load()` sets no_new_privs first (SCMP_FLTATR_CTL_NNP, on by default). Turn it off
    /// only when the process holds CAP_SYS_ADMIN and the runtime sets NNP itself (runc's order).
    public mutating func setNoNewPrivileges(_ enabled: Bool) throws(CoreError) {
        try check("seccomp_attr_set", path: "SCMP_FLTATR_CTL_NNP", seccomp_attr_set(context, SCMP_FLTATR_CTL_NNP, enabled ? 1 : 0))
    }

    /// Writes the filter as classic BPF (an array of 8-byte `struct sock_filter`) to `fd`.
    public func exportBPF(to fd: Int32) throws(CoreError) {
        try check("seccomp_export_bpf", seccomp_export_bpf(context, fd))
    }

    /// The filter as classic BPF bytes (8 per instruction), ready for seccomp(2) or
    /// PR_SET_SECCOMP in a child that has no libseccomp. Exported through a memfd, because
    /// libseccomp 2.5 can only write to a descriptor.
    public func exportBPF() throws(CoreError) -> [UInt8] {
        let fd = berth_seccomp_memfd()
        guard fd >= 0 else {
            throw CoreError(SystemCallFailure(call: "memfd_create", errno: errno))
        }
        defer { close(fd) }
        try exportBPF(to: fd)
        guard lseek(fd, 0, SEEK_SET) == 0 else {
            throw CoreError(SystemCallFailure(call: "lseek", errno: errno))
        }
        return try readAll(fd)
    }

    /// Loads the filter into the calling thread (and sets no_new_privs unless disabled). Irreversible,
    /// and inherited by children: call it only in a process about to exec the workload, never in
    /// a daemon or a test runner.
    public func load() throws(CoreError) {
        try check("seccomp_load", seccomp_load(context))
    }

    /// libseccomp returns 0 or a negated errno.
    private func check(_ call: String, path: String? = nil, _ result: Int32) throws(CoreError) {
        guard result >= 0 else {
            throw CoreError(SystemCallFailure(call: call, path: path, errno: -result))
        }
    }

    private func readAll(_ fd: Int32) throws(CoreError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got == 0 { return result }
            if got < 0 {
                let code = errno
                if code == EINTR { continue }
                throw CoreError(SystemCallFailure(call: "read", path: "seccomp bpf", errno: code))
            }
            result.append(contentsOf: chunk[0..<got])
        }
    }
}
