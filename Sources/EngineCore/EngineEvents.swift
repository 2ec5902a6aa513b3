// EngineEvents: the engine's event stream (`berth events`): container and image events in
// docker's shape (type, action, actor id and attributes, time), fanned out to subscribers with
// docker's filters (type, event, container, image, label). A bounded history answers --since.
import API
import Errdefs
import Foundation
import SwiftProtobuf

public actor EngineEvents {
    private var subscribers: [UUID: (filters: [String: [String]], continuation: AsyncStream<Engine_Event>.Continuation)] = [:]
    private var history = EventHistory(limit: 256)  // as dockerd keeps

    public init() {}

    func publish(type: String, action: String, id: String, attributes: [String: String]) {
        var event = Engine_Event()
        event.type = type
        event.action = action
        event.actor.id = id
        event.actor.attributes = attributes
        event.scope = "local"
        event.time = Google_Protobuf_Timestamp(date: Date())
        history.append(event)
        for (_, subscriber) in subscribers where Self.matches(event, subscriber.filters) {
            subscriber.continuation.yield(event)
        }
    }

    /// The events from `since` (kept ones) and every later one that passes the filters.
    public func subscribe(_ request: Engine_SubscribeRequest) throws(CoreError) -> AsyncStream<Engine_Event> {
        var filters: [String: [String]] = [:]
        for filter in request.filters {
            guard ["type", "event", "container", "image", "label"].contains(filter.key) else {
                throw CoreError(.invalidArgument, "invalid filter '\(filter.key)'")
            }
            filters[filter.key, default: []].append(filter.value)
        }
        let key = UUID()
        let (stream, continuation) = AsyncStream<Engine_Event>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        if request.hasSince {
            let since = request.since.date
            for event in history.events where event.time.date >= since && Self.matches(event, filters) { continuation.yield(event) }
        }
        subscribers[key] = (filters, continuation)
        continuation.onTermination = { _ in Task { await self.unsubscribe(key) } }
        return stream
    }

    private func unsubscribe(_ key: UUID) { subscribers[key] = nil }

    static func matches(_ event: Engine_Event, _ filters: [String: [String]]) -> Bool {
        for (key, values) in filters {
            let ok = values.contains { value in
                switch key {
                case "type": return event.type == value
                case "event": return event.action == value
                case "container": return event.type == "container" && (event.actor.id.hasPrefix(value) || event.actor.attributes["name"] == value)
                case "image": return event.actor.attributes["image"] == value || (event.type == "image" && event.actor.id == value)
                case "label":
                    let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
                    guard let labelValue = event.actor.attributes[parts[0]] else { return false }
                    return parts.count == 1 || labelValue == parts[1]
                default: return false
                }
            }
            if !ok { return false }
        }
        return true
    }
}
