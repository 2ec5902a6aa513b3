// TerminalMode: our own terminal in raw mode while a container's or an exec's tty is attached
// (berth-ctr and berth), restored afterwards, and the terminal's size for the first resize.
import Glibc

public struct TerminalMode {
    var saved: termios

    /// Puts fd 0 in raw mode; nil when it is not a terminal.
    public static func raw() -> TerminalMode? {
        var original = termios()
        guard tcgetattr(0, &original) == 0 else { return nil }
        var raw = original
        cfmakeraw(&raw)
        tcsetattr(0, TCSANOW, &raw)
        return TerminalMode(saved: original)
    }

    public func restore() {
        var original = saved
        tcsetattr(0, TCSANOW, &original)
    }

    /// The size of the terminal on fd 1 (columns, rows), if it is one.
    public static func size() -> (width: UInt32, height: UInt32)? {
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return (UInt32(size.ws_col), UInt32(size.ws_row))
    }
}
