// FaultInjection: test-only crash injection shared by the daemons. When $BERTH_FAULT names the
// point a daemon reaches, the daemon kills itself with SIGKILL there — as a crash or `kill -9`
// would stop it — so tests can show that a restart finds a consistent state whatever step was
// interrupted. Unset, a point costs one environment lookup. $BERTH_FAULT_PAUSE=POINT:MS instead
// (or POINT:/PATH, while PATH exists) makes a daemon wait there, to hold a race window open.
import Glibc

public enum FaultInjection {
    /// SIGKILLs this process if $BERTH_FAULT equals `point`.
    public static func hit(_ point: String) {
        guard let armed = getenv("BERTH_FAULT"), String(cString: armed) == point else { return }
        kill(getpid(), SIGKILL)
    }
}

extension FaultInjection {
    /// Waits at `point` if $BERTH_FAULT_PAUSE names it: `point:MILLISECONDS` sleeps that long;
    /// `point:/PATH` creates `/PATH.held` and waits while `/PATH` exists (at most a minute), so
    /// a test holds the daemon there for exactly as long as it needs, whatever the machine's load.
    public static func pause(_ point: String) async {
        switch hold(point) {
        case .sleep(let milliseconds)?:
            try? await Task.sleep(for: .milliseconds(milliseconds))
        case .gate(let path)?:
            arrive(at: path)
            let deadline = ContinuousClock.now + .seconds(60)
            while access(path, F_OK) == 0 && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
        case nil:
            return
        }
    }

    /// `pause` for code that is not async (the shim's `start`).
    public static func pauseBlocking(_ point: String) {
        switch hold(point) {
        case .sleep(let milliseconds)?:
            usleep(milliseconds * 1_000)
        case .gate(let path)?:
            arrive(at: path)
            var waited = 0
            while access(path, F_OK) == 0 && waited < 60_000 {  // milliseconds
                usleep(5_000)
                waited += 5
            }
        case nil:
            return
        }
    }

    private enum Hold { case sleep(UInt32), gate(String) }

    /// The hold $BERTH_FAULT_PAUSE asks for at `point`, if any.
    private static func hold(_ point: String) -> Hold? {
        guard let armed = getenv("BERTH_FAULT_PAUSE") else { return nil }
        let parts = String(cString: armed).split(separator: ":", maxSplits: 1)
        guard parts.count == 2, parts[0] == point else { return nil }
        if parts[1].hasPrefix("/") { return .gate(String(parts[1])) }
        return UInt32(parts[1]).map { .sleep($0) }
    }

    /// Tells the test that the daemon has reached the gate.
    private static func arrive(at gate: String) {
        let fd = open(gate + ".held", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
    }
}
