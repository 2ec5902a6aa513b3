// Signals: signal names and numbers as the command lines take them — runc's `kill`, ctr's
// `tasks kill`, docker's `--stop-signal`/`kill -s` ("SIGTERM", "term", "15", "RTMIN+3").
import Glibc

public enum Signals {
    static let names: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT, "IOT": SIGABRT,
        "BUS": SIGBUS, "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV, "USR2": SIGUSR2, "PIPE": SIGPIPE,
        "ALRM": SIGALRM, "TERM": SIGTERM, "STKFLT": SIGSTKFLT, "CHLD": SIGCHLD, "CONT": SIGCONT, "STOP": SIGSTOP,
        "TSTP": SIGTSTP, "TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "XCPU": SIGXCPU, "XFSZ": SIGXFSZ,
        "VTALRM": SIGVTALRM, "PROF": SIGPROF, "WINCH": SIGWINCH, "IO": SIGIO, "POLL": SIGIO, "PWR": SIGPWR, "SYS": SIGSYS,
    ]

    /// The number of a signal given by name (with or without SIG, any case) or number; nil if unknown.
    public static func number(_ text: String) -> Int32? {
        if let number = Int32(text) { return number > 0 && number < 65 ? number : nil }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        if name.hasPrefix("RTMIN+"), let offset = Int32(name.dropFirst(6)) { return __libc_current_sigrtmin() + offset }
        return names[name]
    }
}
