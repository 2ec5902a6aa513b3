// UnixSocket+Accept: accepting connections on a non-blocking listener, and switching a
// descriptor between blocking and non-blocking mode, for poll-driven servers (berth-shim).
import Errdefs
import Glibc

extension UnixSocket {
    /// Accepts one pending connection as a close-on-exec descriptor, non-blocking if asked; nil
    /// when none is pending (EAGAIN) or the peer gave up before we took it (ECONNABORTED).
    public static func accept(from listener: FileDescriptor, nonBlocking: Bool = true) throws(CoreError) -> FileDescriptor? {
        let raw = try listener.withRawValue { (fd: Int32) throws(CoreError) -> Int32 in
            while true {
                let accepted = Glibc.accept(fd, nil, nil)
                if accepted >= 0 { return accepted }
                let code = errno
                switch code {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK, ECONNABORTED: return -1
                default: throw systemCallError("accept", errno: code)
                }
            }
        }
        guard raw >= 0 else { return nil }
        let connection = FileDescriptor(adopting: raw)
        try connection.setCloseOnExec(true)
        if nonBlocking { try connection.setNonBlocking(true) }
        return connection
    }
}

extension FileDescriptor {
    /// Sets or clears O_NONBLOCK on the open file description (shared with duplicates of it).
    public func setNonBlocking(_ enabled: Bool) throws(CoreError) {
        try withRawValue { (raw: Int32) throws(CoreError) in
            let flags = try checked("fcntl(F_GETFL)") { fcntl(raw, F_GETFL) }
            let updated = enabled ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
            if updated != flags {
                _ = try checked("fcntl(F_SETFL)") { fcntl(raw, F_SETFL, updated) }
            }
        }
    }
}
