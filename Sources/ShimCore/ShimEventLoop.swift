// ShimEventLoop: berth-shim's only thread of control — one poll(2) loop over the descriptors it
// is told to watch (listening socket, connections, signalfd, stdio pipes and fifos) plus a few
// timers. Handlers run to completion on this thread and never block, so a Wait parked on one
// connection never delays another call. A handful of descriptors makes poll's O(n) scan free.
import Errdefs
import Glibc

/// Readiness reported to a handler.
public struct PollEvents: OptionSet, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    public static let readable = PollEvents(rawValue: Int16(POLLIN))
    public static let writable = PollEvents(rawValue: Int16(POLLOUT))
    /// The peer hung up (POLLHUP) or the descriptor is in error (POLLERR, POLLNVAL).
    public static let hangup = PollEvents(rawValue: Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL))
}

/// Nanoseconds on CLOCK_MONOTONIC.
public func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

public final class ShimEventLoop {
    public typealias Handler = (PollEvents) -> Void

    private struct Watch {
        var interest: PollEvents
        var handler: Handler
    }

    private struct Timer {
        var id: Int
        var deadline: Int64
        var action: () -> Void
    }

    private var watches: [Int32: Watch] = [:]
    private var timers: [Timer] = []
    private var nextTimerID = 1
    private var stopping = false
    private var idleAction: (delay: Int64, action: () -> Void)?
    private var idleDue: Int64?

    public init() {}

    /// Number of watched descriptors.
    public var watchCount: Int { watches.count }

    /// Calls `handler` whenever `fd` is ready for `interest` (hang-ups are always reported). The
    /// caller keeps `fd` open until it calls `unwatch`.
    public func watch(_ fd: Int32, _ interest: PollEvents, _ handler: @escaping Handler) {
        watches[fd] = Watch(interest: interest, handler: handler)
    }

    /// Changes what `fd` is watched for.
    public func update(_ fd: Int32, _ interest: PollEvents) {
        watches[fd]?.interest = interest
    }

    public func interest(of fd: Int32) -> PollEvents? { watches[fd]?.interest }

    /// Stops watching `fd`; do this before closing it.
    public func unwatch(_ fd: Int32) {
        watches[fd] = nil
    }

    /// Runs `action` once, `milliseconds` from now. Returns an id for `cancel`.
    @discardableResult
    public func after(milliseconds: Int64, _ action: @escaping () -> Void) -> Int {
        let id = nextTimerID
        nextTimerID += 1
        timers.append(Timer(id: id, deadline: monotonicNanoseconds() + milliseconds * 1_000_000, action: action))
        return id
    }

    public func cancel(timer id: Int) {
        timers.removeAll { $0.id == id }
    }

    /// Runs `action` whenever the loop has had nothing to do for `milliseconds` after doing
    /// something (once per quiet spell), e.g. to give back memory an idle shim does not need.
    public func whenIdle(milliseconds: Int64, _ action: @escaping () -> Void) {
        idleAction = (milliseconds * 1_000_000, action)
        idleDue = monotonicNanoseconds() + milliseconds * 1_000_000
    }

    /// Makes `run` return after the current iteration.
    public func stop() { stopping = true }

    /// Polls and dispatches until `stop()`.
    public func run() throws(CoreError) {
        stopping = false
        var fds: [pollfd] = []
        while !stopping {
            fds.removeAll(keepingCapacity: true)
            for (fd, watch) in watches {
                fds.append(pollfd(fd: fd, events: watch.interest.rawValue, revents: 0))
            }
            let ready = fds.withUnsafeMutableBufferPointer { buffer in
                poll(buffer.baseAddress, nfds_t(buffer.count), pollTimeout())
            }
            if ready == -1 {
                let code = errno
                if code == EINTR { continue }
                throw CoreError(SystemCallFailure(call: "poll", errno: code))
            }
            let timersRan = runDueTimers()
            if let idleAction {
                if ready > 0 || timersRan {
                    idleDue = monotonicNanoseconds() + idleAction.delay
                } else if let due = idleDue, due <= monotonicNanoseconds() {
                    idleDue = nil
                    idleAction.action()
                }
            }
            guard ready > 0 else { continue }
            for entry in fds where entry.revents != 0 {
                // A handler earlier in this round may have unwatched (and closed) this descriptor.
                guard let watch = watches[entry.fd] else { continue }
                watch.handler(PollEvents(rawValue: entry.revents))
                if stopping { break }
            }
        }
    }

    /// Milliseconds until the nearest timer or idle action, or -1 (wait forever) without either.
    private func pollTimeout() -> Int32 {
        let deadlines = timers.map(\.deadline) + (idleDue.map { [$0] } ?? [])
        guard let next = deadlines.min() else { return -1 }
        let remaining = (next - monotonicNanoseconds() + 999_999) / 1_000_000
        return Int32(clamping: max(remaining, 0))
    }

    /// Runs the timers that are due; returns whether any ran.
    private func runDueTimers() -> Bool {
        let now = monotonicNanoseconds()
        let due = timers.filter { $0.deadline <= now }
        guard !due.isEmpty else { return false }
        timers.removeAll { $0.deadline <= now }
        for timer in due { timer.action() }
        return true
    }
}
