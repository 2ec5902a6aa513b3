// DaemonMemory's idle detection (QuietSpell, RPCActivity) and the releases it triggers, which must
// leave a working process behind.
import Errdefs
import RPC
@testable import RPCNIO
import Sys
import Testing

@Suite struct DaemonMemoryTests {
    @Test func releasesOncePerQuietSpell() {
        let ms = Duration.milliseconds
        var spell = QuietSpell(frames: 0, cpu: .zero, busyCPU: ms(10))
        #expect(spell.observe(frames: 3, cpu: ms(1)) == false)   // frames moved: busy
        #expect(spell.observe(frames: 3, cpu: ms(2)) == true)    // the first quiet interval
        spell.rebase(cpu: ms(7))                                 // the release's own CPU time
        #expect(spell.observe(frames: 3, cpu: ms(9)) == false)   // still quiet, released already
        #expect(spell.observe(frames: 3, cpu: ms(30)) == false)  // 21 ms of CPU: busy
        #expect(spell.observe(frames: 3, cpu: ms(31)) == true)   // quiet again
        #expect(spell.observe(frames: 4, cpu: ms(31)) == false)  // one frame is activity
        #expect(spell.observe(frames: 4, cpu: ms(31)) == true)
    }

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
    }
}
