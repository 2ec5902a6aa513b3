// OpenStreamsTests: the sorted set of stream ids a client connection waits on — found, removed
// once, and left alone for ids never opened or already gone, in any order of removal.
@testable import RPC
import Testing

@Suite struct OpenStreamsTests {
    @Test func idsAreFoundAndRemovedOnce() {
        var open = OpenStreams()
        for id in stride(from: UInt32(1), through: 199, by: 2) { open.insert(id) }
        #expect(open.count == 100)
        #expect(open.contains(1) && open.contains(99) && open.contains(199))
        #expect(!open.contains(2) && !open.contains(0) && !open.contains(201))
        for id in [UInt32(99), 1, 199, 51] {
            let removed = open.remove(id)
            #expect(removed)
        }
        let again = open.remove(99), never = open.remove(4)
        #expect(!again && !never)
        #expect(open.count == 96 && !open.contains(51) && open.contains(53) && open.contains(197))
        open.insert(201)
        #expect(open.contains(201) && open.count == 97)
        for id in stride(from: UInt32(3), through: 201, by: 2) { open.remove(id) }
        #expect(open.count == 0 && !open.contains(3))
    }
}
