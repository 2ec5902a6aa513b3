// StdioRelay: a foreground container's stdio, the way ctr attaches it — fifos in a private
// directory that the shim opens, our ends copied to and from this process's stdin, stdout and
// stderr by one thread. The shim keeps its own read end of each output fifo, so the copy never
// sees end of file: after the task exits, `finish` takes what is left and stops.
import Foundation
import Glibc

final class StdioRelay: @unchecked Sendable {
    let directory: String
    let stdinPath: String
    let stdoutPath: String
    let stderrPath: String
    private var outputs: [(fd: Int32, to: Int32)] = []
    private var input: Int32 = -1
    private let lock = NSLock()
    private var stopping = false
    private var thread: Thread?
    /// Written by `finish` to wake the copying thread at once.
    private var wake: (read: Int32, write: Int32) = (-1, -1)
    /// Called once our stdin reaches end of file (the caller closes the container's stdin).
    var onInputEnd: (@Sendable () -> Void)?

    init(id: String, terminal: Bool) throws {
        var template = Array("/tmp/berth-ctr-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        directory = String(cString: made)
        stdinPath = "\(directory)/\(id)-stdin"
        stdoutPath = "\(directory)/\(id)-stdout"
        stderrPath = terminal ? "" : "\(directory)/\(id)-stderr"
        for path in [stdinPath, stdoutPath, stderrPath] where !path.isEmpty {
            guard mkfifo(path, 0o600) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
        outputs.append((open(stdoutPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC), 1))
        if !stderrPath.isEmpty { outputs.append((open(stderrPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC), 2)) }
        // Read-write so opening never blocks; the shim opens its own end.
        input = open(stdinPath, O_RDWR | O_CLOEXEC)
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        wake = (ends[0], ends[1])
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.stackSize = 256 << 10
        self.thread = thread
        thread.start()
    }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 32 << 10)
        var stdinOpen = true
        while true {
            var fds = outputs.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            if stdinOpen { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready > 0 {
                for (index, output) in outputs.enumerated() where fds[index].revents != 0 { copy(from: output.fd, to: output.to, &buffer) }
                if stdinOpen, let last = fds.last, last.fd == 0, last.revents != 0 {
                    let count = read(0, &buffer, buffer.count)
                    if count > 0 {
                        _ = buffer.withUnsafeBytes { write(input, $0.baseAddress, count) }
                    } else {
                        stdinOpen = false
                        onInputEnd?()
                    }
                }
            }
            if lock.withLock({ stopping }) { break }
        }
        for output in outputs { copy(from: output.fd, to: output.to, &buffer) }
    }

    private func copy(from fd: Int32, to target: Int32, _ buffer: inout [UInt8]) {
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { return }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { write(target, $0.baseAddress! + offset, count - offset) }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Copies what is left of the output and stops; removes the fifos.
    func finish() {
        lock.withLock { stopping = true }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        while let thread, !thread.isFinished { usleep(200) }
        close(wake.read)
        close(wake.write)
        for output in outputs { close(output.fd) }
        close(input)
        for path in [stdinPath, stdoutPath, stderrPath] where !path.isEmpty { unlink(path) }
        rmdir(directory)
    }
}
