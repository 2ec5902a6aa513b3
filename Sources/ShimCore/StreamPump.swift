// StreamPump: copies bytes from one non-blocking descriptor to another on the event loop — the
// container's stdout/stderr pipe to its fifo or file, or the stdin fifo to the container's pipe.
// Output pumps never stop reading: when the destination is full (nobody reads the fifo) up to
// `backlogLimit` bytes wait in memory and older ones are dropped beyond that, so the container
// never blocks in write(). The stdin pump instead stops reading its source while the container
// is not reading (input must not be lost). An output pump may instead feed the shim's own
// JSONFileLog, which takes everything (a regular file never says "full"), or the JournalLog.
// Each readiness takes at most `bytesPerTurn`, so a container that writes without pause (`yes`)
// cannot keep the loop from answering calls, reaping or serving its other streams.
import Errdefs
import Glibc
import Sys

public final class StreamPump {
    /// Bytes held while the destination is full.
    public static let backlogLimit = 256 << 10
    /// Bytes one readiness of the source moves before the loop polls again: a pipe's default size.
    public static let bytesPerTurn = 64 << 10

    private let name: String
    private let loop: ShimEventLoop
    private let log: ShimLog
    private var source: FileDescriptor?
    private var destination: FileDescriptor?
    /// The log file this pump feeds instead of `destination`, and the stream name it writes.
    private var logFile: (file: any ContainerLog, stream: String)?
    private let dropsWhenFull: Bool
    private var backlog: [UInt8] = []
    private var sourceEnded = false
    /// Bytes dropped because the destination stayed full.
    public private(set) var droppedBytes = 0
    /// Bytes that reached the destination.
    public private(set) var copiedBytes = 0

    public init(name: String, from source: FileDescriptor, to destination: FileDescriptor, dropsWhenFull: Bool,
                loop: ShimEventLoop, log: ShimLog) throws(CoreError) {
        try source.setNonBlocking(true)
        try destination.setNonBlocking(true)
        self.name = name
        self.source = source
        self.destination = destination
        self.dropsWhenFull = dropsWhenFull
        self.loop = loop
        self.log = log
        watchSource(source)
    }

    /// An output pump that appends to the shim's log file as `stream` ("stdout", "stderr").
    public init(name: String, from source: FileDescriptor, into file: any ContainerLog, stream: String,
                loop: ShimEventLoop, log: ShimLog) throws(CoreError) {
        try source.setNonBlocking(true)
        self.name = name
        self.source = source
        self.destination = nil
        self.logFile = (file, stream)
        self.dropsWhenFull = true
        self.loop = loop
        self.log = log
        watchSource(source)
    }

    public var isFinished: Bool { source == nil && destination == nil && logFile == nil }

    /// Moves whatever the source holds now (the container just exited: its last output is in
    /// the pipe) and returns without waiting for more, nor taking what a process still running
    /// (a daemon the container left) writes meanwhile.
    public func drain() { pull(upTo: bufferedNow()) }

    /// Stops copying and closes both ends, after taking what the source holds now (input written
    /// just before CloseIO is delivered); the backlog is written only as far as possible now.
    public func close() {
        pull(upTo: bufferedNow())
        flush()
        closeSource()
        closeDestination()
    }

    /// The bytes waiting in the source now (FIONREAD: pipes, fifos and pty masters) and one more
    /// read after them, which sees the end of file when no writer is left (so a last line without
    /// a newline reaches the log before the exit is published).
    private func bufferedNow() -> Int {
        var count: Int32 = 0
        let known = source?.withRawValue { ioctl($0, UInt(FIONREAD), &count) } == 0
        return known ? Int(count) + 1 : Self.bytesPerTurn
    }

    private func watchSource(_ source: FileDescriptor) {
        loop.watch(source.rawValue, .readable) { [unowned self] _ in pull(upTo: Self.bytesPerTurn) }
    }

    /// Reads until the source would block, ends, or `budget` bytes have been taken.
    private func pull(upTo budget: Int) {
        guard let source else { return }
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        var taken = 0
        while taken < budget && (backlog.count < Self.backlogLimit || dropsWhenFull) {
            let count = chunk.withUnsafeMutableBytes { buffer in
                source.withRawValue { Glibc.read($0, buffer.baseAddress, buffer.count) }
            }
            if count == 0 {
                sourceEnded = true
                closeSource()
                break
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                if code != EAGAIN {
                    // EIO: a pty master whose slave side is closed everywhere — its end of file.
                    if code != EIO { log.warn("\(name): read: errno \(code)") }
                    sourceEnded = true
                    closeSource()
                }
                break
            }
            taken += count
            deliver(chunk[0..<count])
        }
        updateInterest()
    }

    private func deliver(_ bytes: ArraySlice<UInt8>) {
        if let logFile {
            logFile.file.append(bytes, stream: logFile.stream)
            copiedBytes += bytes.count
            return
        }
        if backlog.isEmpty, let written = write(bytes) {
            if written == bytes.count { return }
            backlog.append(contentsOf: bytes[(bytes.startIndex + written)...])
        } else {
            backlog.append(contentsOf: bytes)
        }
        if dropsWhenFull && backlog.count > Self.backlogLimit {
            let excess = backlog.count - Self.backlogLimit
            backlog.removeFirst(excess)
            if droppedBytes == 0 { log.warn("\(name): nobody is reading; dropping the oldest output") }
            droppedBytes += excess
        }
    }

    /// Writes what the destination takes now: the count written, or nil when it is gone.
    private func write(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard let destination else { return nil }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                destination.withRawValue { Glibc.write($0, buffer.baseAddress! + offset, buffer.count - offset) }
            }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN { break }
                log.warn("\(name): write: errno \(code); discarding further data")
                closeDestination()
                return nil
            }
            offset += n
            copiedBytes += n
        }
        return offset
    }

    private func flush() {
        guard !backlog.isEmpty else { return }
        if let written = write(backlog[...]) {
            backlog.removeFirst(written)
        } else {
            droppedBytes += backlog.count
            backlog.removeAll()
        }
    }

    private func updateInterest() {
        if let source {
            let paused = !dropsWhenFull && backlog.count >= Self.backlogLimit
            if paused { loop.unwatch(source.rawValue) } else if loop.interest(of: source.rawValue) == nil {
                watchSource(source)
            }
        }
        guard let destination else { return }
        if backlog.isEmpty {
            loop.unwatch(destination.rawValue)
            if sourceEnded { closeDestination() }
        } else if loop.interest(of: destination.rawValue) == nil {
            loop.watch(destination.rawValue, .writable) { [unowned self] events in
                if events.contains(.hangup) && !events.contains(.writable) {
                    droppedBytes += backlog.count
                    backlog.removeAll()
                    closeDestination()
                    return
                }
                flush()
                updateInterest()
            }
        }
    }

    private func closeSource() {
        guard let source else { return }
        loop.unwatch(source.rawValue)
        try? source.close()
        self.source = nil
        if let logFile {
            logFile.file.finish(stream: logFile.stream)
            self.logFile = nil
        }
    }

    private func closeDestination() {
        guard let destination else { return }
        loop.unwatch(destination.rawValue)
        try? destination.close()
        self.destination = nil
    }
}
