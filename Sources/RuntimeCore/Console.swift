// Console: `process.terminal: true`. PID 1 opens a pty in the container's own devpts instance,
// sends the master to the caller's --console-socket (SCM_RIGHTS, as runc does, so the caller —
// a shim, containerd — holds the terminal), and makes the slave its stdio and controlling tty.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import OCI
import Sys

enum Console {
    // <asm-generic/ioctls.h>
    private static let TIOCSPTLCK: UInt = 0x4004_5431
    private static let TIOCGPTPEER: UInt = 0x5441
    private static let TIOCSCTTY_: UInt = 0x540E
    private static let TIOCSWINSZ_: UInt = 0x5414

    static func setUp(socket: Int32, size: ConsoleSize?, rootfs: String) throws(ChildFailure) {
        // The spec's devpts is mounted with newinstance at <rootfs>/dev/pts: its ptmx gives a pty
        // that exists inside the container. Fall back to <rootfs>/dev/ptmx.
        var ptmx = "\(rootfs)/dev/pts/ptmx"
        if access(ptmx, F_OK) != 0 { ptmx = "\(rootfs)/dev/ptmx" }
        let master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC)
        if master < 0 { throw ChildFailure(stage: "console", path: ptmx, errno: errno, message: "open pty master") }
        defer { close(master) }
        var unlock: Int32 = 0
        if ioctl(master, TIOCSPTLCK, &unlock) != 0 {
            throw ChildFailure(stage: "console", path: ptmx, errno: errno, message: "unlock pty")
        }
        // TIOCGPTPEER opens the slave from the master: no path lookup through the container's tree.
        let slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY)
        if slave < 0 { throw ChildFailure(stage: "console", path: ptmx, errno: errno, message: "open pty slave") }
        defer { close(slave) }
        if let size {
            var ws = winsize(ws_row: UInt16(clamping: size.height), ws_col: UInt16(clamping: size.width), ws_xpixel: 0, ws_ypixel: 0)
            _ = ioctl(master, TIOCSWINSZ_, &ws)
        }
        do {
            try UnixSocket.sendFileDescriptors([master], over: FileDescriptor(adopting: dup(socket)),
                                               message: Array("/dev/pts/ptmx".utf8))
        } catch {
            throw ChildFailure(stage: "console", path: "", errno: error.cause?.errno ?? 0, message: "send pty master to --console-socket")
        }
        for target: Int32 in 0...2 where dup2(slave, target) < 0 {
            throw ChildFailure(stage: "console", path: "", errno: errno, message: "dup2 pty slave")
        }
        if ioctl(0, TIOCSCTTY_, 0) != 0 {
            throw ChildFailure(stage: "console", path: "", errno: errno, message: "set controlling terminal")
        }
    }
}
