// EventExchange: where every event the supervisor knows of goes — those shims forward (task
// events) and the supervisor's own (containers, namespaces) — and from where subscribers
// receive them live, each through its own filter. Observers inside the supervisor (the task
// table, which learns exits this way) see every event before subscribers do.
import API
import Foundation
import SwiftProtobuf

public actor EventExchange {
    public typealias Observer = @Sendable (Containerd_Types_Envelope) async -> Void

    private var subscribers: [UUID: (filter: EventFilter, continuation: AsyncStream<Containerd_Types_Envelope>.Continuation)] = [:]
    private var observers: [Observer] = []
    /// Envelopes shims forwarded lately: a retransmission of one of them is not delivered again.
    private var recent = RecentEnvelopes(limit: 4096)

    public init() {}

    public func observe(_ observer: @escaping Observer) { observers.append(observer) }

    /// A live stream of the events `filter` selects, until the caller stops iterating.
    public func subscribe(_ filter: EventFilter) -> AsyncStream<Containerd_Types_Envelope> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Containerd_Types_Envelope>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        subscribers[id] = (filter, continuation)
        continuation.onTermination = { [weak self] _ in Task { await self?.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: UUID) { subscribers[id] = nil }

    public var subscriberCount: Int { subscribers.count }

    /// Delivers an envelope a shim forwarded, unless it is a retransmission of one delivered lately.
    public func forwarded(_ envelope: Containerd_Types_Envelope) async {
        guard recent.insert(envelope) else { return }
        await publish(envelope)
    }

    /// Delivers an envelope: observers first (they may record state), then matching subscribers.
    public func publish(_ envelope: Containerd_Types_Envelope) async {
        for observer in observers { await observer(envelope) }
        for (_, subscriber) in subscribers where subscriber.filter.selects(topic: envelope.topic, namespace: envelope.namespace) {
            subscriber.continuation.yield(envelope)
        }
    }

    /// Publishes one of the supervisor's own events.
    public func publish<M: Message>(topic: String, namespace: String, event: M) async {
        var envelope = Containerd_Types_Envelope()
        envelope.timestamp = Google_Protobuf_Timestamp(date: Date())
        envelope.namespace = namespace
        envelope.topic = topic
        envelope.event = (try? Google_Protobuf_Any(containerd: event)) ?? Google_Protobuf_Any()
        await publish(envelope)
    }
}
