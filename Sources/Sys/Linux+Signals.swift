// Linux+Signals: blocking signals and receiving them as readable data (signalfd), so a
// single-threaded event loop sees SIGCHLD and SIGTERM among its other descriptors instead of in
// an asynchronous handler.
import CLinux
import Errdefs
import Glibc

extension Linux {
    /// Adds `signals` to the calling thread's blocked set (pthread_sigmask SIG_BLOCK). Blocked
    /// signals stay pending until read from a signalfd. Children made with `Spawn` start with an
    /// empty mask, so blocking here does not leak into them.
    public static func blockSignals(_ signals: [Int32]) throws(CoreError) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal) }
        let result = pthread_sigmask(SIG_BLOCK, &mask, nil)
        guard result == 0 else { throw systemCallError("pthread_sigmask", errno: result) }
    }

    /// A close-on-exec signalfd for `signals` (block them first with `blockSignals`).
    public static func signalDescriptor(for signals: [Int32], nonBlocking: Bool = true) throws(CoreError) -> FileDescriptor {
        let flags = O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0)
        let fd = try signals.withUnsafeBufferPointer { (buffer) throws(CoreError) -> Int32 in
            try checked("signalfd") { berth_signalfd(buffer.baseAddress, Int32(buffer.count), flags) }
        }
        return FileDescriptor(adopting: fd)
    }

    /// Reads every pending record from a non-blocking signalfd and returns the signal numbers, in
    /// order (standard signals coalesce: one SIGCHLD may stand for several exits).
    public static func readSignals(from signalfd: FileDescriptor) throws(CoreError) -> [Int32] {
        let recordSize = 128  // sizeof(struct signalfd_siginfo)
        var signals: [Int32] = []
        var record = [UInt8](repeating: 0, count: recordSize * 8)
        while true {
            let got = try record.withUnsafeMutableBytes { buffer in
                catching { () throws(CoreError) -> Int in
                    try signalfd.withRawValue { (raw: Int32) throws(CoreError) -> Int in
                        let n = Glibc.read(raw, buffer.baseAddress, buffer.count)
                        if n == -1 {
                            let code = errno
                            if code == EAGAIN || code == EINTR { return 0 }
                            throw systemCallError("read(signalfd)", errno: code)
                        }
                        return n
                    }
                }
            }.get()
            if got < recordSize { return signals }
            for offset in stride(from: 0, to: got - recordSize + 1, by: recordSize) {
                let signo = UInt32(record[offset]) | UInt32(record[offset + 1]) << 8
                    | UInt32(record[offset + 2]) << 16 | UInt32(record[offset + 3]) << 24
                signals.append(Int32(bitPattern: signo))
            }
        }
    }
}
