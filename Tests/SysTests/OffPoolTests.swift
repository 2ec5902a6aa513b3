// OffPoolTests: TestSupport's `.offPool` trait really moves a suite's tests off Swift's
// cooperative pool — a synchronous test's body and an async test's resumption after an await run
// on the executor's own threads — and a suite without it stays on the pool.
import TestSupport
import Testing

@Suite(.offPool) struct OffPoolTests {
    @Test func aSynchronousTestRunsOnAThreadOfItsOwn() {
        #expect(OffPoolTrait.isCurrentThreadDedicated)
    }

    @Test func anAsyncTestResumesOnOneAfterAnAwait() async throws {
        try await Task.sleep(for: .milliseconds(10))
        #expect(OffPoolTrait.isCurrentThreadDedicated)
    }
}

@Suite struct OnPoolTests {
    @Test func aSuiteWithoutTheTraitStaysOnThePool() async throws {
        try await Task.sleep(for: .milliseconds(10))
        #expect(!OffPoolTrait.isCurrentThreadDedicated)
    }
}
