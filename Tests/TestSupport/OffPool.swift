// OffPool: a suite trait that runs each of a suite's tests on threads of their own instead of
// Swift's cooperative pool. The pool has one thread per core (two on CI); a test that blocks —
// waits for a container, a child process, a poll — holds one of them, and with two such tests
// every other test's awaits stop resuming: RPC deadlines, `eventually` polls and fault windows
// then measure the wait for the pool rather than the code under test (11 s stalls were seen).
// Suites whose tests block mark themselves `@Suite(.offPool)`; an issue is still recorded
// against its test, as the job runs in that test's task.
import Foundation
import Testing

public struct OffPoolTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }  // the suite itself: nothing to move
        try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try await function() }
    }
}

extension OffPoolTrait {
    /// Whether the calling thread is one of the executor's own (what the trait's tests check).
    public static var isCurrentThreadDedicated: Bool {
        Thread.current.threadDictionary[ThreadPerJobExecutor.marker] != nil
    }
}

extension Trait where Self == OffPoolTrait {
    /// Runs the tests on threads of their own, off the cooperative pool (see OffPool.swift).
    public static var offPool: Self { Self() }
}

/// A task executor that gives every job — a test's body, each resumption after an await — a
/// thread that does nothing else meanwhile: an idle one from earlier jobs, or a new one. A job
/// may block as long as it likes without delaying anyone else. Threads are kept for reuse, as
/// a new thread costs its creation and, in glibc, the choice of a malloc arena under a lock
/// that a busy test process contends for.
final class ThreadPerJobExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = ThreadPerJobExecutor()
    /// The key its threads carry in their thread dictionary.
    static let marker = "berth.TestSupport.ThreadPerJobExecutor"

    /// A thread waiting on its own semaphore for the job it is handed.
    private final class Worker: @unchecked Sendable {
        let wake = DispatchSemaphore(value: 0)
        var job: UnownedJob?
    }

    private let lock = NSLock()
    private var idle: [Worker] = []

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let worker: Worker? = lock.withLock { idle.popLast() }
        if let worker {
            worker.job = job
            worker.wake.signal()
            return
        }
        let fresh = Worker()
        fresh.job = job
        Thread.detachNewThread { [self] in serve(fresh) }
    }

    private func serve(_ worker: Worker) {
        let executor = asUnownedTaskExecutor()
        Thread.current.threadDictionary[Self.marker] = true
        while true {
            worker.job.take()?.runSynchronously(on: executor)
            lock.withLock { idle.append(worker) }
            worker.wake.wait()
        }
    }
}
