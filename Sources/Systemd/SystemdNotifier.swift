// SystemdNotifier: sd_notify for daemons (READY=1, STOPPING=1, STATUS=…). Without systemd —
// the usual case for berth — NOTIFY_SOCKET is unset and every call is a cheap no-op.
import CSystemd
import Errdefs
import Glibc

/// Sends service state to the service manager named by NOTIFY_SOCKET (sd_notify).
public enum SystemdNotifier {
    /// Whether a service manager is listening (NOTIFY_SOCKET is set).
    public static var isAvailable: Bool {
        getenv("NOTIFY_SOCKET") != nil
    }

    /// Sends `state`, newline-separated "KEY=value" assignments such as "READY=1".
    /// Returns false, doing nothing, when NOTIFY_SOCKET is unset; true once sent. Throws when
    /// the socket is set but unusable. `unsetEnvironment` removes NOTIFY_SOCKET afterwards so
    /// children do not inherit it (it also makes later calls no-ops).
    @discardableResult
    public static func notify(_ state: String, unsetEnvironment: Bool = false) throws(CoreError) -> Bool {
        let result = sd_notify(unsetEnvironment ? 1 : 0, state)
        if result < 0 {
            throw CoreError(SystemCallFailure(call: "sd_notify", path: getenv("NOTIFY_SOCKET").map { String(cString: $0) }, errno: -result))
        }
        return result > 0
    }

    /// Tells the manager start-up is complete (READY=1), with the main pid.
    @discardableResult
    public static func ready() throws(CoreError) -> Bool {
        try notify("READY=1\nMAINPID=\(getpid())")
    }

    /// Tells the manager shutdown has begun (STOPPING=1).
    @discardableResult
    public static func stopping() throws(CoreError) -> Bool {
        try notify("STOPPING=1")
    }

    /// Sets the free-form status line systemctl shows (STATUS=…).
    @discardableResult
    public static func status(_ text: String) throws(CoreError) -> Bool {
        try notify("STATUS=\(text)")
    }
}
