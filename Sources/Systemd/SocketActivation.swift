// SocketActivation: sockets passed in by a service manager (sd_listen_fds, LISTEN_FDS), so a
// daemon can be socket-activated; empty when started any other way.
import CSystemd
import Errdefs
import Glibc

/// Descriptors inherited through systemd's socket-activation protocol.
public enum SocketActivation {
    /// The passed descriptors, numbered from 3 (SD_LISTEN_FDS_START), or [] when LISTEN_FDS is
    /// unset or meant for another process (LISTEN_PID). They are made close-on-exec, which the
    /// protocol leaves to the receiver, so they do not leak into children. The caller owns them.
    /// `unsetEnvironment` (the default) clears LISTEN_* so children do not see them.
    public static func listenFileDescriptors(unsetEnvironment: Bool = true) throws(CoreError) -> [Int32] {
        let count = sd_listen_fds(unsetEnvironment ? 1 : 0)
        if count < 0 {
            throw CoreError(SystemCallFailure(call: "sd_listen_fds", errno: -count))
        }
        let start = Int32(SD_LISTEN_FDS_START)
        let fds = (0..<count).map { start + $0 }
        for fd in fds {
            let flags = fcntl(fd, F_GETFD)
            if flags == -1 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1 {
                throw CoreError(SystemCallFailure(call: "fcntl(F_SETFD)", errno: errno))
            }
        }
        return fds
    }
}
