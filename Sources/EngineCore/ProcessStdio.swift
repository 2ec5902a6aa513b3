// ProcessStdio: the fifos through which the engine talks to an exec'd process (the shim opens
// the other ends): output read by one thread that polls both fifos and hands chunks to an
// AsyncStream, input written as the client sends it. The shim keeps its own read end of each
// output fifo, so the reader never sees end of file while the process lives: `finish`, after the
// exit, takes what is left and ends the stream.
import Errdefs
import Foundation
import Glibc

final class ProcessStdio: @unchecked Sendable {
    struct Chunk: Sendable {
        var fd: UInt32
        var data: [UInt8]
    }

    let directory: String
    let stdinPath: String
    let stdoutPath: String
    let stderrPath: String
    let output: AsyncStream<Chunk>
    private let continuation: AsyncStream<Chunk>.Continuation
    private var readers: [(fd: Int32, stream: UInt32)] = []
    private var input: Int32 = -1
    private var wake: (read: Int32, write: Int32) = (-1, -1)
    private let lock = NSLock()
    private var stopping = false
    private var finished = false
    private var thread: Thread?

    init(directory: String, stdin: Bool, terminal: Bool) throws(CoreError) {
        self.directory = directory
        stdinPath = stdin ? directory + "/stdin" : ""
        stdoutPath = directory + "/stdout"
        stderrPath = terminal ? "" : directory + "/stderr"
        (output, continuation) = AsyncStream<Chunk>.makeStream()
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw CoreError(SystemCallFailure(call: "mkdir", path: directory, errno: errno))
        }
        for path in [stdinPath, stdoutPath, stderrPath] where !path.isEmpty {
            guard mkfifo(path, 0o600) == 0 else { throw CoreError(SystemCallFailure(call: "mkfifo", path: path, errno: errno)) }
        }
        for (path, stream) in [(stdoutPath, UInt32(1)), (stderrPath, 2)] where !path.isEmpty {
            let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
            readers.append((fd, stream))
        }
        if stdin {
            // Read-write, so the open does not wait for the shim's reader.
            input = open(stdinPath, O_RDWR | O_CLOEXEC)
            guard input >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: stdinPath, errno: errno)) }
        }
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw CoreError(SystemCallFailure(call: "pipe", errno: errno)) }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        wake = (ends[0], ends[1])
        let thread = Thread { [self] in pump() }
        thread.stackSize = 256 << 10
        self.thread = thread
        thread.start()
    }

    private func pump() {
        var buffer = [UInt8](repeating: 0, count: 32 << 10)
        var open = readers
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { break }
            var ended: [Int32] = []
            for (index, reader) in open.enumerated() where fds[index].revents != 0 {
                if !drain(reader, &buffer) { ended.append(reader.fd) }
            }
            open.removeAll { ended.contains($0.fd) }
            if lock.withLock({ stopping }) { break }
        }
        for reader in open { _ = drain(reader, &buffer) }
        continuation.finish()
    }

    /// Reads what is there; false at end of file (the shim closed its end).
    private func drain(_ reader: (fd: Int32, stream: UInt32), _ buffer: inout [UInt8]) -> Bool {
        while true {
            let count = read(reader.fd, &buffer, buffer.count)
            if count > 0 {
                continuation.yield(Chunk(fd: reader.stream, data: Array(buffer[0..<count])))
                continue
            }
            return count < 0  // EAGAIN: open, nothing more for now; 0: end of file
        }
    }

    /// Writes to the process's stdin (blocking while the fifo is full).
    func write(_ bytes: [UInt8]) {
        guard input >= 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// Takes the output that is left, ends the stream, closes and removes the fifos.
    func finish() {
        let first = lock.withLock { () -> Bool in
            defer { finished = true; stopping = true }
            return !finished
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = Glibc.write(wake.write, &byte, 1)
        while let thread, !thread.isFinished { usleep(200) }
        for fd in readers.map(\.fd) + [input, wake.read, wake.write] where fd >= 0 { close(fd) }
        for path in [stdinPath, stdoutPath, stderrPath] where !path.isEmpty { unlink(path) }
        rmdir(directory)
    }
}
