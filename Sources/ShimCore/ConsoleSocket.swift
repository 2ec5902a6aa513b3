// ConsoleSocket: the `--console-socket` a terminal process needs. The runtime's init (or exec)
// opens a pty, connects here and sends the master over SCM_RIGHTS; the shim then holds the
// terminal and copies it to the stdio fifos. The socket lives in a fresh 0700 directory under
// /tmp (short: socket paths are limited to 107 bytes) that is removed with it. Accept and
// receive happen on the event loop, and `finish` takes a master still in flight when the
// runtime command has already exited.
import Errdefs
import Glibc
import Sys

final class ConsoleSocket {
    let path: String
    private let directory: String
    private let loop: ShimEventLoop
    private var listener: FileDescriptor?
    private var peer: FileDescriptor?
    private(set) var master: FileDescriptor?

    init(loop: ShimEventLoop) throws(CoreError) {
        var template = Array("/tmp/berth-pty-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CoreError(SystemCallFailure(call: "mkdtemp", path: "/tmp/berth-pty-XXXXXX", errno: errno))
        }
        directory = String(cString: made)
        path = directory + "/pty.sock"
        self.loop = loop
        do {
            let socket = try UnixSocket.bind(path: path)
            try socket.setNonBlocking(true)
            listener = socket
            loop.watch(socket.rawValue, .readable) { [unowned self] _ in progress() }
        } catch {
            rmdir(directory)
            throw error
        }
    }

    /// Accepts the runtime's connection and takes the master, as far as possible without waiting.
    private func progress() {
        if peer == nil, let listener, let accepted = try? UnixSocket.accept(from: listener) {
            peer = accepted
            loop.watch(accepted.rawValue, .readable) { [unowned self] _ in progress() }
        }
        guard master == nil, let peer else { return }
        guard let message = try? UnixSocket.receiveFileDescriptors(from: peer, maxDescriptors: 1) else { return }
        if let fd = message.descriptors.first {
            master = fd
        }
        if master != nil || message.bytes.isEmpty { closeSockets() }
    }

    /// The master, once the runtime command has exited (taking one still queued); closes the socket.
    func finish() -> FileDescriptor? {
        progress()
        close()
        return master
    }

    private func closeSockets() {
        for fd in [peer, listener].compactMap({ $0 }) {
            loop.unwatch(fd.rawValue)
            try? fd.close()
        }
        peer = nil
        listener = nil
    }

    func close() {
        closeSockets()
        unlink(path)
        rmdir(directory)
    }
}

/// Sets a terminal's window size (TIOCSWINSZ on the pty master).
func resizeTerminal(_ master: FileDescriptor, width: UInt32, height: UInt32) throws(CoreError) {
    var size = winsize(ws_row: UInt16(clamping: height), ws_col: UInt16(clamping: width), ws_xpixel: 0, ws_ypixel: 0)
    let result = master.withRawValue { ioctl($0, UInt(TIOCSWINSZ), &size) }
    guard result == 0 else { throw CoreError(SystemCallFailure(call: "ioctl(TIOCSWINSZ)", errno: errno)) }
}
