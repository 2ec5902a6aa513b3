// RecordWriter: durable record writes (RecordStore's write, fsync, rename, directory fsync) on
// threads of their own, so an actor that saves state suspends instead of blocking its thread for
// the fsyncs. Jobs for one key run in the order they were given (one lane per key, chosen by
// hash); jobs for different keys run on up to `lanes` threads at once, so one slow fsync does not
// hold up other containers' records. One shared writer per process. A lane's thread ends after
// `idle` without a job and the next job starts another: a thread kept for good would keep its
// malloc cache of freed blocks, scattered over the heap and holding its pages resident, through
// the daemon's idle hours.
import Errdefs
import Foundation

public final class RecordWriter: @unchecked Sendable {
    public static let shared = RecordWriter(lanes: 4, name: "record-writer")

    /// One queue of jobs and the thread that runs them while there are any, guarded by `condition`.
    private final class Lane: @unchecked Sendable {
        let condition = NSCondition()
        let name: String
        let idle: Duration
        var jobs: [@Sendable () -> Void] = []
        var running = false

        init(name: String, idle: Duration) {
            self.name = name
            self.idle = idle
        }

        /// Queues `job`, starting the lane's thread if it has ended.
        func enqueue(_ job: @escaping @Sendable () -> Void) {
            condition.lock()
            defer { condition.unlock() }
            jobs.append(job)
            guard !running else { return condition.signal() }
            running = true
            let thread = Thread { self.run() }
            thread.name = name
            thread.start()
        }

        private func run() {
            let seconds = Double(idle.components.seconds) + Double(idle.components.attoseconds) / 1e18
            condition.lock()
            while true {
                while jobs.isEmpty {
                    // A timed-out wait with nothing queued ends the thread; enqueue starts another.
                    if !condition.wait(until: Date(timeIntervalSinceNow: seconds)) && jobs.isEmpty {
                        running = false
                        condition.unlock()
                        return
                    }
                }
                let job = jobs.removeFirst()
                condition.unlock()
                job()
                condition.lock()
            }
        }

        var isRunning: Bool { condition.withLock { running } }
    }

    private let lanes: [Lane]

    public init(lanes count: Int, name: String, idle: Duration = .seconds(5)) {
        lanes = (0..<max(1, count)).map { Lane(name: "\(name)-\($0)", idle: idle) }
    }

    /// How many lanes have a thread now (tests).
    var runningLanes: Int { lanes.filter(\.isRunning).count }

    /// Runs `body` on the lane of `key`, after every job given earlier for that key, and returns
    /// what it returned or threw once it has run.
    public func perform<T: Sendable>(key: String, _ body: @escaping @Sendable () throws(CoreError) -> T) async throws(CoreError) -> T {
        let lane = lanes[Int(UInt(bitPattern: key.hashValue) % UInt(lanes.count))]
        let result: Result<T, CoreError> = await withCheckedContinuation { continuation in
            lane.enqueue {
                do throws(CoreError) { continuation.resume(returning: .success(try body())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
