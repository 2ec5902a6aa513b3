// ProcessSupervisor: reaps every child of the shim — the runtime commands it runs and, as child
// subreaper, the container's init and anything else orphaned below it — from a SIGCHLD signalfd
// on the event loop (waitpid(-1, WNOHANG) until none is left). Each exit goes to the handler
// registered for its pid; an exit nobody has claimed yet (a container init that dies before its
// runtime `create` reported the pid) is kept until someone asks for it.
import Errdefs
import Glibc
import Sys

/// A reaped process: who, how, when (wall clock, for `exited_at`).
public struct ProcessExit: Sendable, Equatable {
    public var pid: Int32
    public var status: ExitStatus
    public var exitedAt: Timestamp
}

extension Timestamp {
    /// The wall-clock time now (CLOCK_REALTIME).
    public static func now() -> Timestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(seconds: Int64(now.tv_sec), nanos: Int32(now.tv_nsec))
    }
}

public final class ProcessSupervisor {
    public typealias ExitHandler = (ProcessExit) -> Void

    /// Unclaimed exits kept at most (orphans the shim inherited and nobody will ask about).
    static let unclaimedLimit = 64

    private let signals: FileDescriptor
    private let loop: ShimEventLoop
    private var handlers: [Int32: ExitHandler] = [:]
    private var unclaimed: [ProcessExit] = []
    /// Signals other than SIGCHLD that arrived (SIGTERM, SIGINT).
    public var signalReceived: (Int32) -> Void = { _ in }

    /// Blocks SIGCHLD plus `otherSignals` and watches them through a signalfd.
    public init(loop: ShimEventLoop, otherSignals: [Int32] = [SIGTERM, SIGINT]) throws(CoreError) {
        let all = [SIGCHLD] + otherSignals
        try Linux.blockSignals(all)
        signals = try Linux.signalDescriptor(for: all)
        self.loop = loop
        loop.watch(signals.rawValue, .readable) { [unowned self] _ in signalsReady() }
    }

    /// Calls `handler` once when `pid` exits — at once if it already has.
    public func onExit(of pid: Int32, _ handler: @escaping ExitHandler) {
        if let index = unclaimed.firstIndex(where: { $0.pid == pid }) {
            handler(unclaimed.remove(at: index))
            return
        }
        handlers[pid] = handler
    }

    /// Stops waiting for `pid` (its exit will be kept as unclaimed).
    public func forget(_ pid: Int32) { handlers[pid] = nil }

    private func signalsReady() {
        let received: [Int32]
        do {
            received = try Linux.readSignals(from: signals)
        } catch {
            received = [SIGCHLD]
        }
        for signal in received where signal != SIGCHLD { signalReceived(signal) }
        reap()
    }

    /// Collects every exited child.
    public func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid == 0 { return }
            if pid < 0 {
                if errno == EINTR { continue }
                return  // ECHILD: no children left
            }
            guard let decoded = ExitStatus(waitStatus: status) else { continue }
            let exit = ProcessExit(pid: pid, status: decoded, exitedAt: .now())
            if let handler = handlers.removeValue(forKey: pid) {
                handler(exit)
            } else {
                unclaimed.append(exit)
                if unclaimed.count > Self.unclaimedLimit { unclaimed.removeFirst() }
            }
        }
    }
}
