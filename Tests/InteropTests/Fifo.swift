// Test helper: a named pipe with our read end open (non-blocking), as containerd opens stdio fifos.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class Fifo: @unchecked Sendable {
    let path: String
    private var fd: Int32

    init(path: String) throws {
        self.path = path
        guard mkfifo(path, 0o600) == 0 else { throw TestFailure("mkfifo \(path): errno \(errno)") }
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw TestFailure("open \(path): errno \(errno)") }
    }

    /// Everything written so far, without waiting for more.
    func readAvailable() -> String {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while fd >= 0 {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        unlink(path)
    }
}
