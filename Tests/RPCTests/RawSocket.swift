// Test helper: a plain blocking unix-socket connection, for sending bytes no well-behaved client
// would send (oversized frames, garbage) and reading exactly what the server answers.
import Errdefs
#if canImport(Glibc)
import Glibc
#endif

final class RawSocket {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "socket", errno: errno)) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw CoreError(SystemCallFailure(call: "connect", path: path, errno: e))
        }
        // Generous: the server's deadline timer runs on Swift's cooperative pool, which the whole
        // test process shares with tests that block it (sync tests waiting for child processes).
        var tv = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CoreError(SystemCallFailure(call: "send", errno: errno))
            }
            offset += n
        }
    }

    /// Reads exactly `count` bytes; returns fewer only at end of stream.
    func read(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw CoreError(SystemCallFailure(call: "recv", errno: errno))
            }
            got += n
        }
        return Array(out[..<got])
    }

    /// Reads one whole frame (header and payload).
    func readFrame() throws -> Frame? {
        let header = try read(10)
        guard header.count == 10 else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        let payload = try read(length)
        let sid = UInt32(header[4]) << 24 | UInt32(header[5]) << 16 | UInt32(header[6]) << 8 | UInt32(header[7])
        return Frame(streamID: sid, typeByte: header[8], flags: FrameFlags(rawValue: header[9]), payload: payload)
    }
}

import Foundation
import RPC

/// Runs blocking socket work on its own thread: blocking a Swift-concurrency thread would starve
/// the server's handler tasks, which share that small pool (2 threads on a 2-core machine).
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
