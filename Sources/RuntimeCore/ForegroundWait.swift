// ForegroundWait: how `run` and `exec` without --detach stay with their process: the runtime is
// a child subreaper (so the process, born of a short-lived stage 1, is reparented to it), blocks
// the signals it forwards plus SIGCHLD, and sleeps in sigtimedwait until the process exits.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import Sys

struct ForegroundWait {
    static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH]
    private var forwarded = sigset_t()
    private var waited = sigset_t()

    /// Call before the process is made: from here on, its signals queue until `wait` forwards them.
    init() throws(CoreError) {
        try Linux.setChildSubreaper(true)
        sigemptyset(&forwarded)
        for s in Self.forwardedSignals { sigaddset(&forwarded, s) }
        waited = forwarded
        // SIGCHLD is waited for too (never forwarded): the exit wakes the loop at once.
        sigaddset(&waited, SIGCHLD)
        sigprocmask(SIG_BLOCK, &waited, nil)
    }

    /// Waits for `pid`, forwarding signals to it; returns its exit code (128+n for signal n).
    mutating func wait(for pid: Int32) -> Int32 {
        var timeout = timespec(tv_sec: 0, tv_nsec: 100_000_000)
        while true {
            // Reap whatever was reparented to us; our process ends the loop.
            var status: Int32 = 0
            let r = waitpid(-1, &status, WNOHANG)
            if r == pid { return ExitStatus(waitStatus: status)?.code ?? 255 }
            if r > 0 { continue }
            if r < 0 && errno == ECHILD { return 255 }
            let signal = sigtimedwait(&waited, nil, &timeout)
            if signal > 0 && signal != SIGCHLD { Glibc.kill(pid, signal) }
        }
    }
}
