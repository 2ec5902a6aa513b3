// EventHistory: the engine's last events, kept for `berth events --since` (dockerd keeps 256).
// They are kept serialized, back to back in one buffer, not as messages: a message is a handful
// of small blocks (its id and name strings, its attribute dictionary), and 256 events' worth
// taken one by one through a busy spell ended up spread over hundreds of heap pages, each held
// resident by a block or two long after the spell. One buffer holds the same in a few pages.
import API
import Foundation
import SwiftProtobuf

struct EventHistory {
    let limit: Int
    /// The kept events' encodings, oldest first, from `start` on; bytes before `start` are spent.
    private var bytes: [UInt8] = []
    private var start = 0
    /// Each kept event's encoded length, oldest first.
    private var lengths: [Int] = []

    init(limit: Int) { self.limit = limit }

    var count: Int { lengths.count }

    mutating func append(_ event: Engine_Event) {
        guard limit > 0, let encoded: [UInt8] = try? event.serializedBytes() else { return }
        bytes.append(contentsOf: encoded)
        lengths.append(encoded.count)
        if lengths.count > limit { start += lengths.removeFirst() }
        // Spent bytes are dropped once they are half the buffer: each byte moves at most once
        // more, and the buffer stays one block of at most twice what the kept events need.
        if start > 0 && start >= bytes.count / 2 {
            bytes.removeFirst(start)
            start = 0
        }
    }

    /// The kept events, oldest first.
    var events: [Engine_Event] {
        var result: [Engine_Event] = []
        result.reserveCapacity(lengths.count)
        var offset = start
        for length in lengths {
            if let event = try? Engine_Event(serializedBytes: bytes[offset..<offset + length]) { result.append(event) }
            offset += length
        }
        return result
    }
}
