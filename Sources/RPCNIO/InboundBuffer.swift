// InboundBuffer: the messages a client streams to one call, queued between the connection's
// event loop (which appends) and the call's handler (which takes). It reports every take, so the
// connection can stop reading the socket while a handler is behind and read again once it has
// caught up: flow control for a protocol (ttrpc) that has none of its own.
import Foundation
import RPC

final class InboundBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var queue: [[UInt8]] = []
    private var head = 0
    private var end: (any Error)?
    private var ended = false
    private var waiter: CheckedContinuation<[UInt8]?, any Error>?
    /// Called (on the handler's side) after each take with how many messages are still queued.
    private let consumed: @Sendable (Int) -> Void

    init(consumed: @escaping @Sendable (Int) -> Void) {
        self.consumed = consumed
    }

    /// The handler's view: an async sequence of the messages, ending with the stream.
    var messages: InboundMessages {
        InboundMessages(unfolding: { [self] in try await next() })
    }

    /// Queues a message, or hands it to a waiting handler; returns how many are queued now.
    @discardableResult
    func append(_ message: [UInt8]) -> Int {
        let (resume, count): (CheckedContinuation<[UInt8]?, any Error>?, Int) = lock.withLock {
            guard !ended else { return (nil, pending) }
            if let waiting = waiter {
                waiter = nil
                return (waiting, 0)
            }
            queue.append(message)
            return (nil, pending)
        }
        resume?.resume(returning: message)
        return count
    }

    /// Ends the stream (an error, or nil for the client's close); queued messages are still taken first.
    func finish(throwing error: (any Error)? = nil) {
        let resume: CheckedContinuation<[UInt8]?, any Error>? = lock.withLock {
            guard !ended else { return nil }
            ended = true
            end = error
            defer { waiter = nil }
            return waiter
        }
        if let error { resume?.resume(throwing: error) } else { resume?.resume(returning: nil) }
    }

    private var pending: Int { queue.count - head }

    private func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let outcome: Result<[UInt8]?, any Error>?
                let left: Int
                (outcome, left) = lock.withLock {
                    if head < queue.count {
                        let message = queue[head]
                        head += 1
                        if head > 64 && head * 2 > queue.count {  // drop what was taken, now and then
                            queue.removeFirst(head)
                            head = 0
                        }
                        return (.success(message), pending)
                    }
                    if ended { return (end.map { .failure($0) } ?? .success(nil), 0) }
                    if Task.isCancelled { return (.failure(CancellationError()), 0) }
                    waiter = continuation
                    return (nil, 0)
                }
                if let outcome {
                    continuation.resume(with: outcome)
                    consumed(left)
                }
            }
        } onCancel: {
            finish(throwing: CancellationError())
        }
    }
}
