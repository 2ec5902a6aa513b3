// StdioRelay: a foreground container's stdio, the way ctr attaches it — fifos that the shim
// opens, our ends copied to and from this process's stdin, stdout and stderr by one thread. The
// fifos are a task's own (TaskFifos: `run`, `tasks attach`), left in place, or made in a private
// directory for this relay alone (`tasks exec`) and removed by `finish`. The shim keeps its own
// read end of each output fifo, so the copy never sees end of file: after the task exits,
// `finish` takes what is left and stops.
import Errdefs
import Foundation
import Glibc

final class StdioRelay: @unchecked Sendable {
    let stdinPath: String
    let stdoutPath: String
    let stderrPath: String
    /// The private directory of fifos made for this relay, removed by `finish`.
    private let ownDirectory: String?
    private var outputs: [(fd: Int32, to: Int32)] = []
    private var input: Int32 = -1
    private let lock = NSLock()
    private var stopping = false
    private var thread: Thread?
    /// Written by `finish` to wake the copying thread at once.
    private var wake: (read: Int32, write: Int32) = (-1, -1)
    /// Called once our stdin reaches end of file (the caller closes the container's stdin).
    var onInputEnd: (@Sendable () -> Void)?

    /// Fifos of its own in a fresh directory under /tmp.
    convenience init(id: String, terminal: Bool) throws {
        var template = Array("/tmp/berth-ctr-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CoreError(SystemCallFailure(call: "mkdtemp", path: "/tmp/berth-ctr-XXXXXX", errno: errno))
        }
        let directory = String(cString: made)
        let paths = ["\(directory)/\(id)-stdin", "\(directory)/\(id)-stdout", terminal ? "" : "\(directory)/\(id)-stderr"]
        for path in paths where !path.isEmpty {
            guard mkfifo(path, 0o600) == 0 else {
                let failure = SystemCallFailure(call: "mkfifo", path: path, errno: errno)
                try? FileManager.default.removeItem(atPath: directory)
                throw CoreError(failure)
            }
        }
        try self.init(stdin: paths[0], stdout: paths[1], stderr: paths[2], ownDirectory: directory)  // removes it on failure
    }

    /// Existing fifos (a task's; empty paths are streams it does not have), left in place.
    init(stdin: String, stdout: String, stderr: String, ownDirectory: String? = nil) throws {
        stdinPath = stdin
        stdoutPath = stdout
        stderrPath = stderr
        self.ownDirectory = ownDirectory
        do {
            for (path, target) in [(stdout, Int32(1)), (stderr, 2)] where !path.isEmpty {
                outputs.append((try Self.openFifo(path, O_RDONLY | O_NONBLOCK), target))
            }
            // Read-write so opening never blocks; the shim opens its own end.
            if !stdin.isEmpty { input = try Self.openFifo(stdin, O_RDWR) }
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw CoreError(SystemCallFailure(call: "pipe", errno: errno)) }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            wake = (ends[0], ends[1])
        } catch {
            closeAll()
            if let ownDirectory { try? FileManager.default.removeItem(atPath: ownDirectory) }
            throw error
        }
    }

    /// Opens `path`, which must be a fifo (an attach to a task whose stdio are files is refused).
    private static func openFifo(_ path: String, _ flags: Int32) throws(CoreError) -> Int32 {
        let fd = open(path, flags | O_CLOEXEC)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFIFO else {
            close(fd)
            throw CoreError(.failedPrecondition, "\(path) is not a fifo: only a task's fifo stdio can be relayed")
        }
        return fd
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.stackSize = 256 << 10
        self.thread = thread
        thread.start()
    }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 32 << 10)
        var stdinOpen = input >= 0
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

    /// Copies what is left of the output and stops; removes the fifos if they are its own.
    func finish() {
        lock.withLock { stopping = true }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        while let thread, !thread.isFinished { usleep(200) }
        closeAll()
        guard let ownDirectory else { return }
        for path in [stdinPath, stdoutPath, stderrPath] where !path.isEmpty { unlink(path) }
        rmdir(ownDirectory)
    }

    private func closeAll() {
        for fd in [wake.read, wake.write, input] + outputs.map(\.fd) where fd >= 0 { close(fd) }
        wake = (-1, -1)
        input = -1
        outputs = []
    }
}
