// Linux+Prctl: the prctl(2) operations berth uses, named. prctl is variadic in C, so every call
// goes through the fixed-arity berth_prctl.
import CLinux
import Errdefs
import Glibc

extension Linux {
    /// Makes this process a child subreaper (PR_SET_CHILD_SUBREAPER): orphaned descendants are
    /// re-parented to it instead of to init, so the shim and supervisor see their exits.
    public static func setChildSubreaper(_ enabled: Bool = true) throws(CoreError) {
        _ = try prctl("prctl(PR_SET_CHILD_SUBREAPER)", PR_SET_CHILD_SUBREAPER, enabled ? 1 : 0)
    }

    /// Whether this process is a child subreaper (PR_GET_CHILD_SUBREAPER).
    public static func isChildSubreaper() throws(CoreError) -> Bool {
        var value: Int32 = 0
        _ = try withUnsafeMutablePointer(to: &value) { (pointer) throws(CoreError) -> Int32 in
            try prctl("prctl(PR_GET_CHILD_SUBREAPER)", PR_GET_CHILD_SUBREAPER, UInt(bitPattern: pointer))
        }
        return value != 0
    }

    /// Asks for `signal` when the thread that forked this process dies (PR_SET_PDEATHSIG);
    /// 0 clears it. Reset by execve of a set-uid binary and by a change of credentials.
    public static func setParentDeathSignal(_ signal: Int32) throws(CoreError) {
        _ = try prctl("prctl(PR_SET_PDEATHSIG)", PR_SET_PDEATHSIG, UInt(signal))
    }

    /// Sets no_new_privs (PR_SET_NO_NEW_PRIVS): execve can no longer grant privileges (set-uid
    /// bits, file capabilities). One-way, inherited by children; lets seccomp load unprivileged.
    public static func setNoNewPrivileges() throws(CoreError) {
        _ = try prctl("prctl(PR_SET_NO_NEW_PRIVS)", PR_SET_NO_NEW_PRIVS, 1)
    }

    /// Whether no_new_privs is set (PR_GET_NO_NEW_PRIVS).
    public static func hasNoNewPrivileges() throws(CoreError) -> Bool {
        try prctl("prctl(PR_GET_NO_NEW_PRIVS)", PR_GET_NO_NEW_PRIVS, 0) == 1
    }

    /// Keeps permitted capabilities across a setuid away from root (PR_SET_KEEPCAPS).
    public static func setKeepCapabilities(_ enabled: Bool) throws(CoreError) {
        _ = try prctl("prctl(PR_SET_KEEPCAPS)", PR_SET_KEEPCAPS, enabled ? 1 : 0)
    }

    /// Sets whether the process is dumpable (PR_SET_DUMPABLE). A uid change clears it, which
    /// makes /proc/self/fd unreachable to the process itself; execve sets it again by its own rules.
    public static func setDumpable(_ enabled: Bool) throws(CoreError) {
        _ = try prctl("prctl(PR_SET_DUMPABLE)", 4, enabled ? 1 : 0)
    }

    /// Names the calling thread (PR_SET_NAME; the kernel keeps 15 bytes), as shown by ps and top.
    public static func setThreadName(_ name: String) throws(CoreError) {
        _ = try name.withCString { cName in
            catching { () throws(CoreError) in try prctl("prctl(PR_SET_NAME)", PR_SET_NAME, UInt(bitPattern: cName)) }
        }.get()
    }

    /// berth_prctl with a call name for errors; unused arguments are 0 as the kernel requires.
    private static func prctl(_ call: String, _ option: Int32, _ arg2: UInt) throws(CoreError) -> Int32 {
        try checked(call) { berth_prctl(option, arg2, 0, 0, 0) }
    }
}
