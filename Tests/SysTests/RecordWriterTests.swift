// RecordWriter's lanes: a lane's thread ends after its idle time and the next job starts another
// (a thread kept for good kept its malloc cache through the daemon's idle hours).
import CLinux
import Errdefs
import Glibc
@testable import Records
import Testing

@Suite struct RecordWriterTests {
    private static func threadExists(_ tid: pid_t) -> Bool { access("/proc/self/task/\(tid)", F_OK) == 0 }

    @Test func anIdleLaneEndsItsThreadAndTheNextJobStartsAnother() async throws {
        let writer = RecordWriter(lanes: 1, name: "idle-test", idle: .milliseconds(50))
        #expect(writer.runningLanes == 0)  // no thread before the first job
        let first = try await writer.perform(key: "k") { () throws(CoreError) in berth_gettid() }
        #expect(first != berth_gettid())  // ran on the lane's thread, not the caller's
        let deadline = ContinuousClock.now + .seconds(5)
        while (writer.runningLanes > 0 || Self.threadExists(first)) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(writer.runningLanes == 0, "the lane still counts as running after its idle time")
        #expect(!Self.threadExists(first), "the lane's thread \(first) outlived its idle time")
        let second = try await writer.perform(key: "k") { () throws(CoreError) in berth_gettid() }
        #expect(second != first && second != berth_gettid())
        await #expect(throws: CoreError.self) {
            try await writer.perform(key: "k") { () throws(CoreError) -> Int in throw CoreError(.internal, "boom") }
        }
    }
}
