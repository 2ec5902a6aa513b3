// Pipe: an anonymous pipe whose two ends are owned FileDescriptors, close-on-exec from birth
// (pipe2 with O_CLOEXEC, so no concurrently spawned child can inherit them).
import CLinux
import Errdefs
import Glibc

/// An anonymous pipe: bytes written to `writeEnd` come out of `readEnd`.
public struct Pipe: Sendable {
    /// The end to read from.
    public let readEnd: FileDescriptor
    /// The end to write to.
    public let writeEnd: FileDescriptor

    /// Creates a pipe; both ends are close-on-exec and, if asked, non-blocking.
    public init(nonBlocking: Bool = false) throws(CoreError) {
        var fds: [Int32] = [-1, -1]
        let flags = O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0)
        _ = try fds.withUnsafeMutableBufferPointer { (buffer) throws(CoreError) -> Int32 in
            try checked("pipe2") { berth_pipe2(buffer.baseAddress, flags) }
        }
        readEnd = FileDescriptor(adopting: fds[0])
        writeEnd = FileDescriptor(adopting: fds[1])
    }
}
