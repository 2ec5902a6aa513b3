// FaultInjection: test-only crash injection shared by the daemons. When $BERTH_FAULT names the
// point a daemon reaches, the daemon kills itself with SIGKILL there — as a crash or `kill -9`
// would stop it — so tests can show that a restart finds a consistent state whatever step was
// interrupted. Unset, a point costs one environment lookup.
import Glibc

public enum FaultInjection {
    /// SIGKILLs this process if $BERTH_FAULT equals `point`.
    public static func hit(_ point: String) {
        guard let armed = getenv("BERTH_FAULT"), String(cString: armed) == point else { return }
        kill(getpid(), SIGKILL)
    }
}
