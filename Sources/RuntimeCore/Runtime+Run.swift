// Runtime.run: create + start, then (unless detached) stay as the container's parent — the
// runtime makes itself a child subreaper, so the container's init is reparented to it — forward
// signals to it, and exit with its status, deleting the container afterwards, as `runc run` does.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import Sys

extension Runtime {
    /// Runs the container; returns its exit code (128+n for death by signal n), or 0 if detached.
    public func run(id: String, _ options: CreateOptions, detach: Bool) throws(CoreError) -> Int32 {
        if !detach { try Linux.setChildSubreaper(true) }
        // Signals sent to us while the container is being made are forwarded once it runs.
        var forwarded = sigset_t()
        sigemptyset(&forwarded)
        for s in Self.forwardedSignals { sigaddset(&forwarded, s) }
        // SIGCHLD is waited for too (never forwarded): the container's exit wakes the loop at once.
        var waited = forwarded
        sigaddset(&waited, SIGCHLD)
        if !detach { sigprocmask(SIG_BLOCK, &waited, nil) }
        let pid = try create(id: id, options)
        do { try start(id: id) } catch {
            try? delete(id: id, force: true)
            throw error
        }
        if detach { return 0 }
        var timeout = timespec(tv_sec: 0, tv_nsec: 50_000_000)
        while true {
            // Reap whatever was reparented to us; the container's init ends the loop.
            var status: Int32 = 0
            let r = waitpid(-1, &status, WNOHANG)
            if r == pid {
                try? delete(id: id, force: true)
                return ExitStatus(waitStatus: status)?.code ?? 255
            }
            if r > 0 { continue }
            if r < 0 && errno == ECHILD {
                try? delete(id: id, force: true)
                return 255
            }
            let signal = sigtimedwait(&waited, nil, &timeout)
            if signal > 0 && signal != SIGCHLD { Glibc.kill(pid, signal) }
        }
    }

    static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH]
}
