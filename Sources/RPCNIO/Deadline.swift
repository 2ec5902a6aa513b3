// Deadline: runs a handler until it returns or its caller's deadline passes, whichever is first.
import Errdefs

/// Runs `body`; past `deadline` it is cancelled and `deadlineExceeded` is thrown.
func withDeadline<T: Sendable>(_ deadline: ContinuousClock.Instant?,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    guard let deadline else { return try await body() }
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            throw CoreError(.deadlineExceeded, "context deadline exceeded")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}
