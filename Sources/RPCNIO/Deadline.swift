// Deadline: runs a handler until it returns or its caller's deadline passes, whichever is first.
// The deadline is a timer on the connection's NIO event loop, cancelled — and freed — as soon as
// the handler returns. (A cancelled `Task.sleep` keeps its timer and its task's memory until the
// deadline it was given: with 60 s deadlines on every call, thousands of them piled up under
// load and the heap they pinned stayed fragmented long after.)
import Errdefs
import NIOCore
import Synchronization

/// Runs `body`; past `deadline` it is cancelled and `deadlineExceeded` is thrown.
func withDeadline<T: Sendable>(_ deadline: ContinuousClock.Instant?, on loop: any EventLoop,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    guard let deadline else { return try await body() }
    let work = Task { try await body() }
    let race = DeadlineRace()
    let (seconds, attoseconds) = max(deadline - ContinuousClock.now, .zero).components
    DeadlineRace.armed.wrappingAdd(1, ordering: .relaxed)
    let timer = loop.scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) {
        if race.settle() { work.cancel() }
    }
    // Completes when the timer fires or is cancelled: what `armed` counts is NIO's own state.
    timer.futureResult.whenComplete { _ in DeadlineRace.armed.wrappingSubtract(1, ordering: .relaxed) }
    let result = await withTaskCancellationHandler { await work.result } onCancel: { work.cancel() }
    guard race.settle() else { throw CoreError(.deadlineExceeded, "context deadline exceeded") }
    timer.cancel()
    return try result.get()
}

/// Who came first, the call or its deadline: `settle()` is true for the first caller only.
/// `armed` counts the deadline timers still scheduled on event loops in this process (tests).
final class DeadlineRace: Sendable {
    private let settled = Atomic<Bool>(false)
    static let armed = Atomic<Int>(0)

    func settle() -> Bool {
        settled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}
