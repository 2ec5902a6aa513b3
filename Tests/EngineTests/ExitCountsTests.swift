// ExitCountsTests: the engine's per-container exit counts stay bounded when containers come and
// go (an engine running thousands of short containers kept one entry for each before).
@testable import EngineCore
import Testing

struct ExitCountsTests {
    @Test func countsExitsAndKeepsTheLastCode() {
        var exits = ExitCounts()
        exits.record("a", code: 1)
        exits.record("a", code: 7)
        #expect(exits["a"] == ExitCounts.Entry(count: 2, code: 7))
        #expect(exits["b"] == nil)
    }

    @Test func aRemovedContainersEntryStaysForAWhileThenGoes() {
        var exits = ExitCounts(keptAfterRemoval: 3)
        for index in 0..<10 {
            exits.record("c\(index)", code: Int32(index))
            exits.removed("c\(index)")
        }
        #expect(exits.count == 3, "entries of long-removed containers are kept")
        #expect(exits["c9"]?.code == 9 && exits["c7"]?.code == 7)  // the latest removals answer a late waiter
        #expect(exits["c6"] == nil)
        exits.record("live", code: 0)  // a container never removed is never dropped
        for index in 10..<5000 {
            exits.record("c\(index)", code: 0)
            exits.removed("c\(index)")
        }
        #expect(exits.count == 4 && exits["live"]?.count == 1)
    }
}

struct ExitCountsKeyTests {
    @Test func anEngineIDIsKeyedByItsBytesAndOtherIDsByThemselves() {
        let id = "0b548ee6f479a2fcdc3048b0c71fc9e99a9708d72ef930e6a05715fec724922b"
        #expect(ExitCounts.Key(id) == .digest(0x0b548ee6f479a2fc, 0xdc3048b0c71fc9e9, 0x9a9708d72ef930e6, 0xa05715fec724922b))
        // One digit apart is another key; not 64 lower-case hex digits is the string itself.
        #expect(ExitCounts.Key(id) != ExitCounts.Key(String(id.dropLast()) + "c"))
        #expect(ExitCounts.Key(String(id.dropLast())) == .other(String(id.dropLast())))
        #expect(ExitCounts.Key(id.uppercased()) == .other(id.uppercased()))
        #expect(ExitCounts.Key(id + "0") == .other(id + "0"))
        var exits = ExitCounts()
        exits.record(id, code: 3)
        #expect(exits[id] == ExitCounts.Entry(count: 1, code: 3))
        #expect(exits[String(id.dropLast()) + "c"] == nil)
    }
}
