// EventExchangeTests: the supervisor's event fan-out on its own — filters (equality, regexp,
// AND within an expression, OR across expressions, refusal of unknown fields) and a shim's
// retransmission of an envelope delivered once.
import API
import Errdefs
import Foundation
import SupervisorCore
import SwiftProtobuf
import TestSupport
import Testing

@Suite(.offPool) struct EventExchangeTests {
    @Test func filtersSelectLikeContainerds() throws {
        let filter = try EventFilter([#"topic~="^/tasks/",namespace==a"#, #"topic=="/images/create""#])
        #expect(filter.selects(topic: "/tasks/exit", namespace: "a"))
        #expect(!filter.selects(topic: "/tasks/exit", namespace: "b"))
        #expect(filter.selects(topic: "/images/create", namespace: "b"))
        #expect(!filter.selects(topic: "/containers/create", namespace: "a"))
        #expect(try EventFilter([]).selects(topic: "/anything", namespace: "x"))
        #expect(try EventFilter(["namespace!=a"]).selects(topic: "/t", namespace: "b"))
        #expect(throws: CoreError.self) { _ = try EventFilter(["colour==red"]) }
        #expect(throws: CoreError.self) { _ = try EventFilter(["topic"]) }
        #expect(throws: CoreError.self) { _ = try EventFilter(["topic~=\"(\""]) }
    }

    @Test func aRetransmittedEnvelopeIsDeliveredOnce() async throws {
        let exchange = EventExchange()
        let stream = await exchange.subscribe(try EventFilter([]))
        var envelope = Containerd_Types_Envelope()
        envelope.topic = "/tasks/exit"
        envelope.namespace = "a"
        envelope.timestamp = Google_Protobuf_Timestamp(seconds: 100, nanos: 5)
        await exchange.forwarded(envelope)
        await exchange.forwarded(envelope)  // the shim missed the acknowledgement and sent it again
        var later = envelope
        later.timestamp = Google_Protobuf_Timestamp(seconds: 101, nanos: 0)
        await exchange.forwarded(later)
        var seen: [Int64] = []
        for await received in stream {
            seen.append(received.timestamp.seconds)
            if seen.count == 2 { break }
        }
        #expect(seen == [100, 101])
    }

    @Test func theRetransmissionWindowHoldsTheLast4096() async throws {
        let exchange = EventExchange()
        func envelope(_ second: Int64) -> Containerd_Types_Envelope {
            var envelope = Containerd_Types_Envelope()
            envelope.topic = "/tasks/exit"
            envelope.namespace = "a"
            envelope.timestamp = Google_Protobuf_Timestamp(seconds: second, nanos: 0)
            return envelope
        }
        for second in Int64(0)..<10_000 { await exchange.forwarded(envelope(second)) }
        let stream = await exchange.subscribe(try EventFilter([]))
        await exchange.forwarded(envelope(9_999 - 4_095))  // the oldest one still in the window: dropped
        await exchange.forwarded(envelope(9_999 - 4_096))  // just out of it: delivered again
        await exchange.forwarded(envelope(20_000))
        var seen: [Int64] = []
        for await received in stream {
            seen.append(received.timestamp.seconds)
            if seen.count == 2 { break }
        }
        #expect(seen == [9_999 - 4_096, 20_000])
    }
}
