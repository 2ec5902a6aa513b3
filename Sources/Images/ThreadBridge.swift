// ThreadBridge: blocking archive work (walking a tree, extracting, hashing) on a thread of its
// own, joined to async streams of byte chunks — so the cooperative pool never waits on the disk.
// OutboundChunks carries a producer thread's bytes to an async sender (cp from a container,
// export), at most a few chunks ahead: a slow client slows the walk instead of filling memory, a
// gone client stops it. InboundChunks is a ByteSource fed by async receives (cp into a
// container, import) through a spool file, as the receiver must never make ttrpc wait.
import Archive
import Errdefs
import Foundation
import Glibc

/// Runs `body` on a new thread and returns its result.
public func runOnThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.name = name
        thread.start()
    }
}

/// Bytes a producer thread writes, delivered to an async consumer in chunks of `chunkSize`, at
/// most `depth` chunks ahead of it.
public final class OutboundChunks: @unchecked Sendable {
    private let stream: AsyncThrowingStream<[UInt8], any Error>
    private let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation
    /// Chunks yielded and not yet consumed; the producer waits while `depth` are.
    private let condition = NSCondition()
    private var inFlight = 0
    private let depth: Int
    private var cancelled = false
    private var buffer: [UInt8] = []
    private let chunkSize: Int

    public init(chunkSize: Int = 1 << 20, depth: Int = 4) {
        (stream, continuation) = AsyncThrowingStream.makeStream()
        self.depth = depth
        self.chunkSize = chunkSize
    }

    /// Producer side: buffers `bytes`, handing on full chunks (blocks while the consumer is
    /// `depth` chunks behind; throws `canceled` once it has gone).
    public func write(_ bytes: [UInt8]) throws(CoreError) {
        buffer += bytes
        while buffer.count >= chunkSize {
            try put(Array(buffer[0..<chunkSize]))
            buffer.removeFirst(chunkSize)
        }
    }

    private func put(_ chunk: [UInt8]) throws(CoreError) {
        condition.lock()
        while inFlight >= depth && !cancelled { condition.wait() }
        let gone = cancelled
        if !gone { inFlight += 1 }
        condition.unlock()
        if gone { throw CoreError(.canceled, "the receiver of the archive went away") }
        continuation.yield(chunk)
    }

    /// Producer side, last: the rest of the buffer, then the end (or `error`).
    public func finish(_ error: (any Error)? = nil) {
        if error == nil, !buffer.isEmpty, (try? put(buffer)) == nil {
            continuation.finish(throwing: CoreError(.canceled, "the receiver of the archive went away"))
            return
        }
        buffer = []
        continuation.finish(throwing: error)
    }

    /// Consumer side: each chunk, in order, until the producer finishes; a failure of `body`
    /// stops the producer and is rethrown.
    public func forEach(_ body: ([UInt8]) async throws -> Void) async throws {
        do {
            for try await chunk in stream {
                try await body(chunk)
                consumed()
            }
        } catch {
            cancel()
            throw error
        }
    }

    private func consumed() {
        condition.lock()
        inFlight -= 1
        condition.signal()
        condition.unlock()
    }

    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `producer` on a thread writing here, and sends what it writes with `send`.
    public static func stream(_ name: String, _ producer: @escaping @Sendable (OutboundChunks) throws -> Void,
                              send: ([UInt8]) async throws -> Void) async throws {
        let chunks = OutboundChunks()
        let thread = Thread {
            do {
                try producer(chunks)
                chunks.finish()
            } catch {
                chunks.finish(error)
            }
        }
        thread.name = name
        thread.start()
        try await chunks.forEach(send)
    }
}

/// A ByteSource for a consumer thread, fed by an async producer through a spool file: ttrpc has
/// no flow control (a server stream's inbound buffer is bounded, and overflowing it fails the
/// call), so the receiving side must never wait for a slow consumer — it appends to the spool,
/// which the consumer reads behind it. The file is unlinked at once: nothing is left behind.
public final class InboundChunks: ByteSource, @unchecked Sendable {
    private let condition = NSCondition()
    private let fd: Int32
    private let path: String
    private var written = 0
    private var readOffset = 0
    private var ended = false
    private var closed = false
    private var failure: CoreError?

    /// Spools under `directory` (which must exist).
    public init(spoolDirectory directory: String) throws(CoreError) {
        path = "\(directory)/spool-\(UUID().uuidString)"
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
        unlink(path)
    }

    deinit { Glibc.close(fd) }

    /// Producer side: appends `chunk`; false once the consumer has closed (it needs no more) or
    /// the spool could not be written (the consumer then fails with that error).
    public func put(_ chunk: Data) -> Bool {
        condition.lock()
        let (stop, offset) = (closed || failure != nil, written)
        condition.unlock()
        if stop { return false }
        var done = 0
        while done < chunk.count {
            let count = chunk.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if count < 0 {
                if errno == EINTR { continue }
                let error = CoreError(SystemCallFailure(call: "pwrite", path: path, errno: errno))
                condition.lock()
                failure = error
                condition.broadcast()
                condition.unlock()
                return false
            }
            done += count
        }
        condition.lock()
        written += chunk.count
        condition.broadcast()
        condition.unlock()
        return true
    }

    /// Producer side: no more chunks.
    public func end() {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// Producer side: the stream failed; the consumer's next read throws `error`.
    public func fail(_ error: CoreError) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// Consumer side: stops the producer (it sees `put` return false).
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    public func read(upTo count: Int) throws(CoreError) -> [UInt8] {
        condition.lock()
        while readOffset >= written && failure == nil && !ended && !closed { condition.wait() }
        let (available, offset, error) = (written - readOffset, readOffset, failure)
        condition.unlock()
        if let error { throw error }
        guard available > 0, count > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: min(count, available, 1 << 20))
        while true {
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if got > 0 {
                condition.lock()
                readOffset += got
                condition.unlock()
                return Array(buffer[0..<got])
            }
            if got < 0 && errno == EINTR { continue }
            throw CoreError(SystemCallFailure(call: "pread", path: path, errno: got < 0 ? errno : EIO))
        }
    }
}
