// DaemonMemory's idle detection (QuietSpell, RPCActivity) and the releases it triggers, which must
// leave a working process behind; and no timer of a finished call left to wake an idle daemon
// or hold memory, on either side of the connection. ProcessWideReleaseTests run apart (see there).
import Errdefs
import RPC
@testable import RPCNIO
import Synchronization
import Sys
import Testing

@Suite struct DaemonMemoryTests {
    @Test func releasesAtTheStartOfAQuietSpellAndOnceItHasSettled() {
        let ms = Duration.milliseconds
        var spell = QuietSpell(frames: 0, cpu: .zero, busyCPU: ms(10), settle: 3)
        #expect(spell.observe(frames: 3, cpu: ms(1)) == false)   // frames moved: busy
        #expect(spell.observe(frames: 3, cpu: ms(2)) == true)    // the first quiet interval
        spell.rebase(cpu: ms(7))                                 // the release's own CPU time
        #expect(spell.observe(frames: 3, cpu: ms(9)) == false)   // second quiet interval
        #expect(spell.observe(frames: 3, cpu: ms(9)) == true)    // third: settled, release again
        #expect(spell.observe(frames: 3, cpu: ms(9)) == false)   // and not again while quiet
        #expect(spell.observe(frames: 3, cpu: ms(9)) == false)
        #expect(spell.observe(frames: 3, cpu: ms(30)) == false)  // 21 ms of CPU: busy
        #expect(spell.observe(frames: 3, cpu: ms(31)) == true)   // quiet again
        #expect(spell.observe(frames: 4, cpu: ms(31)) == false)  // one frame is activity
        #expect(spell.observe(frames: 4, cpu: ms(31)) == true)
    }

    @Test func finishedCallsLeaveNoDeadlineTimer() async throws {
        // A timer left armed after its call would hold the connection's handler and wake the
        // event loop (and fault code back in) long after the daemon went quiet.
        try await withServer(TransportTests.registry()) { server in
            let client = try await RPCClient.connect(path: server.path)
            defer { Task { await client.close() } }
            #expect(try await client.unary(service: "t.S", method: "Echo", request: [1], timeout: .seconds(60)) == [1])
            var received: [[UInt8]] = []
            for try await m in try await client.serverStreaming(service: "t.S", method: "Count", request: [3], timeout: .seconds(60)) {
                received.append(m)
            }
            #expect(received == [[0], [1], [2]])
            await #expect(throws: CoreError.self) {
                try await client.unary(service: "t.S", method: "Fail", request: [], timeout: .seconds(60))
            }
            await #expect(throws: CoreError.self) {
                try await client.unary(service: "t.S", method: "Sleep", request: [], timeout: .milliseconds(100))
            }
            #expect(try await client.armedDeadlines() == 0)
        }
    }

    @Test func aClosedConnectionFreesItsHandler() async throws {
        // The supervisor opens a connection per shim; each one closed must be freed.
        try await withServer(TransportTests.registry()) { server in
            var client: RPCClient? = try await RPCClient.connect(path: server.path)
            #expect(try await client!.unary(service: "t.S", method: "Echo", request: [1]) == [1])
            let handler = try await client!.weakHandler()
            await client!.close()
            client = nil
            let deadline = ContinuousClock.now + .seconds(5)
            while handler.value != nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(handler.value == nil, "the handler of a closed connection is still alive")
        }
    }

    @Test func aCallServedInTimeDisarmsItsServerDeadline() async throws {
        // The server's deadline timer goes when the call ends, not when the deadline passes
        // (a cancelled Task.sleep kept its timer and memory for the whole 60 s).
        try await withServer(TransportTests.registry()) { server in
            let client = try await RPCClient.connect(path: server.path)
            defer { Task { await client.close() } }
            for i in 0..<50 {
                #expect(try await client.unary(service: "t.S", method: "Echo", request: [UInt8(i)], timeout: .seconds(60)) == [UInt8(i)])
            }
            // Other suites' calls may hold deadlines for a moment; none of these may stay.
            let deadline = ContinuousClock.now + .seconds(5)
            while DeadlineRace.armed.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(DeadlineRace.armed.load(ordering: .relaxed) == 0)
        }
    }
}

/// The releases themselves, made on this test process: its code pages and free heap given back
/// while the process keeps working. They touch the whole process — trimming a test process's
/// heap of hundreds of MB takes malloc's arena locks, which the other tests running beside it
/// then wait for — so scripts/test.sh runs this suite in a `swift test` of its own.
@Suite(.serialized) struct ProcessWideReleaseTests {
    @Test func callsCountAsActivityAndWorkAfterARelease() async throws {
        try await withServer(TransportTests.registry()) { server in
            let client = try await RPCClient.connect(path: server.path)
            defer { Task { await client.close() } }
            let before = RPCActivity.count
            #expect(try await client.unary(service: "t.S", method: "Echo", request: [1]) == [1])
            #expect(RPCActivity.count > before)
            // What DaemonMemory.releaseWhenIdle does; the code and heap fault back in on use.
            #expect(ResidentMemory.releaseCode() > 0)
            ResidentMemory.releaseFreeHeap()
            #expect(try await client.unary(service: "t.S", method: "Echo", request: [2, 3]) == [2, 3])
        }
    }

    @Test func releaseWhenIdleEndsWithItsTask() async {
        let task = Task { await DaemonMemory.releaseWhenIdle(interval: .milliseconds(10)) }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await task.value
        let early = Task { await DaemonMemory.releaseWhenIdle(interval: .seconds(60)) }
        early.cancel()  // before or after its thread starts waiting: it ends either way
        await early.value
    }
}
