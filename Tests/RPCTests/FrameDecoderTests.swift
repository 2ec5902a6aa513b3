// FrameDecoder and the connection state machines: incremental decoding, the 4 MiB cap enforced
// without buffering, and every protocol violation answered the way containerd/ttrpc answers it.
import Errdefs
import RPC
import Testing

@Suite struct FrameDecoderTests {
    @Test func decodesFramesFedOneByteAtATime() throws {
        let frames = [Frame(streamID: 1, type: .request, payload: [1, 2, 3]),
                      Frame(streamID: 3, type: .data, flags: [.remoteClosed, .noData]),
                      Frame(streamID: 5, type: .response, payload: Array(repeating: 7, count: 1000))]
        var bytes: [UInt8] = []
        for f in frames { bytes += try f.encoded() }
        var decoder = FrameDecoder()
        var out: [Frame] = []
        for b in bytes {
            decoder.append([b])
            while case .frame(let f)? = decoder.next() { out.append(f) }
        }
        #expect(out == frames)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func oversizedFrameIsReportedAndSkippedWithoutBuffering() throws {
        let length = TTRPC.maxMessageSize + 1024 * 1024
        var decoder = FrameDecoder()
        decoder.append([0x00, 0x50, 0x00, 0x00] + [0, 0, 0, 9, 1, 0])  // 5 MiB on stream 9
        #expect(decoder.next() == .oversized(streamID: 9, typeByte: 1, length: UInt32(length)))
        // Stream the whole payload in 64 KiB chunks: nothing of it is kept.
        let chunk = [UInt8](repeating: 0xAB, count: 64 * 1024)
        for _ in 0..<(length / chunk.count) {
            decoder.append(chunk)
            #expect(decoder.next() == nil)
            #expect(decoder.bufferedByteCount == 0)
        }
        // The next frame after it decodes normally, even when it shares a read with the tail.
        decoder.append(try Frame(streamID: 11, type: .request, payload: [42]).encoded())
        #expect(decoder.next() == .frame(Frame(streamID: 11, type: .request, payload: [42])))
    }

    @Test func reservedLengthByteMeansGarbage() {
        var decoder = FrameDecoder()
        decoder.append(Array("GET / HTTP/1.1\r\n".utf8))
        guard case .garbage? = decoder.next() else {
            Issue.record("HTTP bytes were not reported as garbage")
            return
        }
        decoder.append([0, 0, 0, 0, 0, 0, 0, 1, 1, 0])
        #expect(decoder.next() == nil)  // a poisoned decoder decodes nothing more
    }

    @Test func senderRefusesOversizedPayload() {
        #expect(throws: CoreError.self) {
            _ = try Frame(streamID: 1, type: .request, payload: [UInt8](repeating: 0, count: TTRPC.maxMessageSize + 1)).encoded()
        }
        var client = ClientConnection()
        do {
            _ = try client.startCall(service: "s", method: "m", payload: [UInt8](repeating: 0, count: TTRPC.maxMessageSize),
                                     kind: .unary)
            Issue.record("a request over the cap was encoded")
        } catch {
            #expect(error.code == .resourceExhausted)
        }
    }
}

@Suite struct ServerConnectionTests {
    var registry: ServiceRegistry {
        var r = ServiceRegistry()
        r.register(service: "t.S", method: "Echo", .unary { bytes, _ in bytes })
        r.register(service: "t.S", method: "Sum", .clientStreaming { inbound, _ in
            var total: UInt8 = 0
            for try await m in inbound { total &+= m.first ?? 0 }
            return [total]
        })
        return r
    }

    func request(_ sid: UInt32, _ method: String, flags: FrameFlags = [], payload: [UInt8] = []) throws -> [UInt8] {
        var r = TTRPC_Request()
        r.service = "t.S"
        r.method = method
        r.payload = .init(payload)
        return try Frame(streamID: sid, type: .request, flags: flags, payload: try r.serializedBytes()).encoded()
    }

    /// The status carried by the only action, which must be a Response send.
    func rejection(_ actions: [ServerAction]) throws -> (UInt32, CoreError)? {
        guard actions.count == 1, case .send(let bytes) = actions[0] else { return nil }
        var client = FrameDecoder()
        client.append(bytes)
        guard case .frame(let frame)? = client.next(), frame.type == .response else { return nil }
        let response = try TTRPC_Response(serializedBytes: frame.payload)
        return CoreError(status: response.status).map { (frame.streamID, $0) }
    }

    @Test func evenStreamIDIsInvalid() throws {
        var server = ServerConnection(registry: registry)
        let r = try #require(try rejection(server.receive(try request(2, "Echo"))))
        #expect(r.0 == 2 && r.1.code == .invalidArgument)
    }

    @Test func reusedStreamIDIsInvalid() throws {
        var server = ServerConnection(registry: registry)
        guard case .invoke? = server.receive(try request(5, "Echo")).first else {
            Issue.record("first call not invoked")
            return
        }
        let r = try #require(try rejection(server.receive(try request(3, "Echo"))))
        #expect(r.0 == 3 && r.1.code == .invalidArgument && r.1.message.contains("must increment"))
    }

    @Test func dataForUnknownStreamIsInvalid() throws {
        var server = ServerConnection(registry: registry)
        let r = try #require(try rejection(server.receive(try Frame(streamID: 7, type: .data, payload: [1]).encoded())))
        #expect(r.0 == 7 && r.1.code == .invalidArgument)
    }

    @Test func undecodableRequestIsInvalid() throws {
        var server = ServerConnection(registry: registry)
        let r = try #require(try rejection(server.receive(try Frame(streamID: 1, type: .request, payload: [0xFF, 0xFF]).encoded())))
        #expect(r.0 == 1 && r.1.code == .invalidArgument)
    }

    @Test func closeWithPayloadIsInvalid() throws {
        var server = ServerConnection(registry: registry)
        _ = server.receive(try request(1, "Sum", flags: .remoteOpen))
        let actions = server.receive(try Frame(streamID: 1, type: .data, flags: .remoteClosed, payload: [9]).encoded())
        #expect(actions.contains { if case .endInbound(1) = $0 { true } else { false } })
        #expect(actions.contains { if case .send = $0 { true } else { false } })
        #expect(!actions.contains { if case .deliver = $0 { true } else { false } })
    }

    @Test func unknownMethodIsUnimplemented() throws {
        var server = ServerConnection(registry: registry)
        let r = try #require(try rejection(server.receive(try request(1, "Nope"))))
        #expect(r.1 == CoreError(.unimplemented, "method Nope"))
    }

    @Test func responseFromAClientClosesTheConnection() throws {
        var server = ServerConnection(registry: registry)
        let actions = server.receive(try Frame(streamID: 1, type: .response, payload: []).encoded())
        guard case .close? = actions.last else {
            Issue.record("no close: \(actions)")
            return
        }
        #expect(server.receive(try request(3, "Echo")).isEmpty)
    }

    @Test func oversizedRequestIsResourceExhaustedOnItsStream() throws {
        var server = ServerConnection(registry: registry)
        let r = try #require(try rejection(server.receive([0x00, 0x40, 0x00, 0x01, 0, 0, 0, 13, 1, 0])))
        #expect(r.0 == 13 && r.1 == CoreError(.resourceExhausted, "message length 4194305 exceed maximum message size of 4194304"))
    }
}
