// FaultInjection: test-only crash injection shared by the daemons. When $BERTH_FAULT names the
// point a daemon reaches, the daemon kills itself with SIGKILL there — as a crash or `kill -9`
// would stop it — so tests can show that a restart finds a consistent state whatever step was
// interrupted. Unset, a point costs one environment lookup. $BERTH_FAULT_PAUSE=POINT:MS instead
// makes a daemon wait there, to widen a race window a test wants to hit.
import Glibc

public enum FaultInjection {
    /// SIGKILLs this process if $BERTH_FAULT equals `point`.
    public static func hit(_ point: String) {
        guard let armed = getenv("BERTH_FAULT"), String(cString: armed) == point else { return }
        kill(getpid(), SIGKILL)
    }
}

extension FaultInjection {
    /// Sleeps if $BERTH_FAULT_PAUSE is `point:MILLISECONDS`: a test widens a race window with it.
    public static func pause(_ point: String) async {
        guard let milliseconds = pauseMilliseconds(point) else { return }
        try? await Task.sleep(for: .milliseconds(milliseconds))
    }

    /// `pause` for code that is not async (the shim's `start`).
    public static func pauseBlocking(_ point: String) {
        guard let milliseconds = pauseMilliseconds(point) else { return }
        usleep(milliseconds * 1_000)
    }

    /// The pause $BERTH_FAULT_PAUSE asks for at `point`, if any.
    private static func pauseMilliseconds(_ point: String) -> UInt32? {
        guard let armed = getenv("BERTH_FAULT_PAUSE") else { return nil }
        let parts = String(cString: armed).split(separator: ":")
        guard parts.count == 2, parts[0] == point else { return nil }
        return UInt32(parts[1])
    }
}
