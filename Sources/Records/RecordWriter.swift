// RecordWriter: durable record writes (RecordStore's write, fsync, rename, directory fsync) on
// threads of their own, so an actor that saves state suspends instead of blocking its thread for
// the fsyncs. Jobs for one key run in the order they were given (one lane per key, chosen by
// hash); jobs for different keys run on up to `lanes` threads at once, so one slow fsync does not
// hold up other containers' records. One shared writer per process; its threads live as long.
import Errdefs
import Foundation

public final class RecordWriter: @unchecked Sendable {
    public static let shared = RecordWriter(lanes: 4, name: "record-writer")

    /// One thread and its queue of jobs, guarded by `condition`.
    private final class Lane: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [@Sendable () -> Void] = []

        func run() {
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                let job = jobs.removeFirst()
                condition.unlock()
                job()
            }
        }
    }

    private let lanes: [Lane]

    public init(lanes count: Int, name: String) {
        lanes = (0..<max(1, count)).map { _ in Lane() }
        for (index, lane) in lanes.enumerated() {
            let thread = Thread { lane.run() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Runs `body` on the lane of `key`, after every job given earlier for that key, and returns
    /// what it returned or threw once it has run.
    public func perform<T: Sendable>(key: String, _ body: @escaping @Sendable () throws(CoreError) -> T) async throws(CoreError) -> T {
        let lane = lanes[Int(UInt(bitPattern: key.hashValue) % UInt(lanes.count))]
        let result: Result<T, CoreError> = await withCheckedContinuation { continuation in
            lane.condition.lock()
            lane.jobs.append {
                do throws(CoreError) { continuation.resume(returning: .success(try body())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            lane.condition.signal()
            lane.condition.unlock()
        }
        return try result.get()
    }
}
