// EventHistory and `events --since`: the last 256 events come back whole and in order, older ones
// are gone, and filters apply to the kept ones.
import API
@testable import EngineCore
import Foundation
import SwiftProtobuf
import TestSupport
import Testing

@Suite(.offPool) struct EventHistoryTests {
    private static func event(_ i: Int) -> Engine_Event {
        var event = Engine_Event()
        event.type = "container"
        event.action = i % 2 == 0 ? "start" : "die"
        event.actor.id = String(repeating: "\(i % 10)", count: 64)
        event.actor.attributes = ["name": "name-\(i)", "image": "busybox", "exitCode": "\(i)"]
        event.time = Google_Protobuf_Timestamp(seconds: Int64(1_000 + i), nanos: Int32(i))
        return event
    }

    @Test func keepsTheLastEventsWholeAndInOrder() {
        var history = EventHistory(limit: 256)
        for i in 0..<1_000 { history.append(Self.event(i)) }
        let kept = history.events
        #expect(kept.count == 256)
        #expect(kept == (744..<1_000).map(Self.event))
        var small = EventHistory(limit: 3)
        small.append(Self.event(1))
        #expect(small.events == [Self.event(1)])
    }

    @Test func subscribeSinceReplaysKeptEventsThroughFilters() async throws {
        let events = EngineEvents()
        for i in 0..<300 {
            await events.publish(type: "container", action: i % 2 == 0 ? "start" : "die", id: "id-\(i)", attributes: ["name": "c\(i)"])
        }
        var request = Engine_SubscribeRequest()
        request.since = Google_Protobuf_Timestamp(date: Date(timeIntervalSinceNow: -3600))
        var filter = Engine_Filter()
        filter.key = "event"
        filter.value = "die"
        request.filters = [filter]
        let stream = try await events.subscribe(request)
        var seen: [String] = []
        for await event in stream {
            seen.append(event.actor.id)
            if seen.count == 128 { break }
        }
        // The kept 256 are events 44..<300; of those, the odd ones died.
        #expect(seen == stride(from: 45, to: 300, by: 2).map { "id-\($0)" })
    }
}
