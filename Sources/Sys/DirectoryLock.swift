// DirectoryLock: an exclusive flock(2) on a directory, held while the lock lives. `shim start`
// holds its bundle's for its whole run, and a restarting supervisor takes the same lock before
// it judges a bundle, so a start left running by a supervisor that was killed is seen either
// finished (its `address` written) or not begun (and then refused, the bundle being gone) —
// never half-way, with a daemon running that no `address` names.
import Errdefs
import Glibc

public final class DirectoryLock {
    private let descriptor: FileDescriptor

    private init(_ path: String) throws(CoreError) {
        descriptor = try FileDescriptor.open(path, flags: O_RDONLY | O_DIRECTORY)
    }

    /// Waits for the lock on directory `path`.
    public static func acquire(_ path: String) throws(CoreError) -> DirectoryLock {
        let lock = try DirectoryLock(path)
        _ = try lock.descriptor.withRawValue { fd throws(CoreError) in
            try retryingInterrupts("flock", path: path) { flock(fd, LOCK_EX) }
        }
        return lock
    }

    /// The lock on directory `path` if nobody holds it now, else nil.
    public static func tryAcquire(_ path: String) throws(CoreError) -> DirectoryLock? {
        let lock = try DirectoryLock(path)
        let code = lock.descriptor.withRawValue { flock($0, LOCK_EX | LOCK_NB) == 0 ? 0 : errno }
        if code == 0 { return lock }
        if code == EWOULDBLOCK || code == EINTR { return nil }
        throw systemCallError("flock", path: path, errno: code)
    }

    /// Whether the locked directory has been removed since it was opened (no links left).
    public var isRemoved: Bool {
        var status = stat()
        return descriptor.withRawValue { fstat($0, &status) } == 0 && status.st_nlink == 0
    }

    /// Gives the lock up now (it also goes when the lock is released or the process exits).
    public func release() { try? descriptor.close() }
}
