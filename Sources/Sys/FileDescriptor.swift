// FileDescriptor: an owned file descriptor that is closed exactly once — by close() or, failing
// that, when the last reference goes away. Everything in Sys that opens a descriptor returns one.
import Errdefs
import Glibc
import Synchronization

/// An owned file descriptor, closed exactly once.
///
/// Ownership is explicit: `init(adopting:)` takes a descriptor over, `release()` gives it back
/// without closing, `close()` closes it now, and `deinit` closes it if nobody did. The state is
/// atomic, so two threads racing to close cannot close a recycled descriptor number twice.
///
/// Because this is a class, ARC may release it right after its last use: do not hold on to
/// `rawValue` past that point. Use `withRawValue(_:)`, which keeps the descriptor alive (and open,
/// unless someone calls `close()`) while the closure runs.
public final class FileDescriptor: Sendable, CustomStringConvertible {
    /// The descriptor number, or -1 once closed or released.
    private let storage: Atomic<Int32>

    /// Takes ownership of `rawValue`; it will be closed by `close()` or `deinit`.
    /// A negative value produces an already-closed descriptor.
    public init(adopting rawValue: Int32) {
        storage = Atomic(rawValue >= 0 ? rawValue : -1)
    }

    deinit {
        let fd = storage.load(ordering: .acquiring)
        if fd >= 0 {
            // Nobody can observe an error here; Linux frees the number even when close fails.
            _ = Glibc.close(fd)
        }
    }

    /// The descriptor number, or -1 after `close()`/`release()`. Valid only while `self` is alive;
    /// prefer `withRawValue(_:)`, which guarantees that.
    public var rawValue: Int32 { storage.load(ordering: .acquiring) }

    /// Whether the descriptor is still owned and open.
    public var isOpen: Bool { rawValue >= 0 }

    /// Calls `body` with the descriptor number, keeping `self` alive until it returns. After
    /// `close()` the number is -1, so calls made with it fail with EBADF rather than hitting a
    /// recycled descriptor.
    public func withRawValue<R, E: Error>(_ body: (Int32) throws(E) -> R) throws(E) -> R {
        defer { withExtendedLifetime(self) {} }
        return try body(rawValue)
    }

    /// Closes the descriptor. Later calls do nothing. Not retried on EINTR: Linux has released
    /// the number by then, and a retry could close a descriptor another thread just opened.
    public func close() throws(CoreError) {
        let fd = storage.exchange(-1, ordering: .acquiringAndReleasing)
        guard fd >= 0 else { return }
        if Glibc.close(fd) == -1 {
            let code = errno
            if code != EINTR {
                throw systemCallError("close", errno: code)
            }
        }
    }

    /// Gives up ownership without closing and returns the number (-1 if already closed).
    /// The caller becomes responsible for closing it.
    public func release() -> Int32 {
        storage.exchange(-1, ordering: .acquiringAndReleasing)
    }

    /// A new close-on-exec descriptor for the same open file, numbered `minimum` or above.
    public func duplicate(atLeast minimum: Int32 = 0) throws(CoreError) -> FileDescriptor {
        let fd = try withRawValue { (raw: Int32) throws(CoreError) -> Int32 in
            try checked("fcntl(F_DUPFD_CLOEXEC)") { fcntl(raw, F_DUPFD_CLOEXEC, minimum) }
        }
        return FileDescriptor(adopting: fd)
    }

    /// Whether FD_CLOEXEC is set, i.e. the descriptor does not survive execve.
    public func isCloseOnExec() throws(CoreError) -> Bool {
        let flags = try withRawValue { (raw: Int32) throws(CoreError) -> Int32 in
            try checked("fcntl(F_GETFD)") { fcntl(raw, F_GETFD) }
        }
        return flags & FD_CLOEXEC != 0
    }

    /// Sets or clears FD_CLOEXEC.
    public func setCloseOnExec(_ enabled: Bool) throws(CoreError) {
        try withRawValue { (raw: Int32) throws(CoreError) in
            let flags = try checked("fcntl(F_GETFD)") { fcntl(raw, F_GETFD) }
            let updated = enabled ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC
            _ = try checked("fcntl(F_SETFD)") { fcntl(raw, F_SETFD, updated) }
        }
    }

    /// Opens `path` with `flags` plus O_CLOEXEC (added always: descriptors must not leak into
    /// children). `mode` applies when O_CREAT is given. Retries EINTR (opening a fifo can block).
    public static func open(
        _ path: String, flags: Int32, mode: mode_t = 0o600
    ) throws(CoreError) -> FileDescriptor {
        let fd = try retryingInterrupts("open", path: path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
        return FileDescriptor(adopting: fd)
    }

    public var description: String { "FileDescriptor(\(rawValue))" }
}
