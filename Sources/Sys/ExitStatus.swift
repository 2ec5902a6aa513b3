// ExitStatus: how a child process ended, decoded from a wait status, plus the blocking
// waitForExit helper for callers that own their children outright.
import Errdefs
import Glibc

/// How a process ended.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// It called exit with this code (0...255).
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)

    /// Decodes a wait(2) status; nil for "stopped" or "continued", which are not exits.
    /// (WIFEXITED and friends are macros Swift cannot import, hence the bit arithmetic.)
    public init?(waitStatus status: Int32) {
        let low = status & 0x7f
        if low == 0 {
            self = .exited((status >> 8) & 0xff)
        } else if low != 0x7f {
            self = .signaled(low)
        } else {
            return nil
        }
    }

    /// The shell's convention: the exit code, or 128 + the signal number (what containerd reports).
    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with code \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

extension Spawn {
    /// Blocks until child `pid` exits and returns how, retrying EINTR.
    ///
    /// Only for processes that have no global reaper: a daemon that reaps with `waitpid(-1)` on
    /// SIGCHLD must get exits from that reaper instead, or the two race and one of them loses the
    /// status (ECHILD). Throws a CoreError carrying `wait4` and errno.
    public static func waitForExit(_ pid: pid_t) throws(CoreError) -> ExitStatus {
        var status: Int32 = 0
        while true {
            _ = try retryingInterrupts("wait4") { wait4(pid, &status, 0, nil) }
            if let exit = ExitStatus(waitStatus: status) { return exit }
        }
    }
}
