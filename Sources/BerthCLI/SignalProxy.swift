// SignalProxy: docker's --sig-proxy. The signals a user sends the CLI (SIGINT from ^C, SIGTERM,
// SIGHUP, SIGUSR1, …) are blocked and read from a signalfd — beside the engine's connection in
// PlainRun, alone on SignalRelay's main thread — and forwarded to the container as Kills, so the
// CLI lives on until the container itself exits. Not forwarded, as docker does not: SIGCHLD and
// SIGPIPE (the CLI's own business), SIGURG; nor SIGWINCH, which an attached terminal's resizing
// (InteractiveInput) must still get; SIGKILL and SIGSTOP cannot be caught.
import API
import Errdefs
import Glibc
import Sys

struct SignalProxy {
    static let forwarded: [Int32] = (1..<32).filter { ![SIGKILL, SIGSTOP, SIGCHLD, SIGPIPE, SIGURG, SIGWINCH].contains($0) }

    private let signals: FileDescriptor

    /// Blocks the forwarded signals on this thread (PlainRun's only one; the main thread before
    /// any other starts, for SignalRelay) and opens their signalfd. They stay blocked until the
    /// CLI exits: one unblocked late would end it with the signal's status instead of the
    /// container's.
    init() throws {
        try Linux.blockSignals(Self.forwarded)
        signals = try Linux.signalDescriptor(for: Self.forwarded)
    }

    /// Lets the forwarded signals through again (on the calling thread).
    static func unblock() {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in forwarded { sigaddset(&mask, signal) }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }

    /// The Kill that forwards `signal` to container `id`.
    static func kill(_ id: String, _ signal: Int32) -> Engine_KillContainerRequest {
        var request = Engine_KillContainerRequest()
        request.id = id
        request.signal = "\(signal)"
        return request
    }

    /// Waits until `socket` (if any) has something to read or signals came; returns those
    /// signals, in order (none when only the socket is ready).
    func wait(readable socket: Int32? = nil) throws -> [Int32] {
        var fds = [pollfd(fd: signals.rawValue, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: socket ?? -1, events: Int16(POLLIN), revents: 0)]  // a negative fd is skipped
        while poll(&fds, 2, -1) < 0 {
            guard errno == EINTR else { throw CoreError(SystemCallFailure(call: "poll", errno: errno)) }
        }
        return fds[0].revents == 0 ? [] : try Linux.readSignals(from: signals)
    }
}
