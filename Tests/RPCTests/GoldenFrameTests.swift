// The hex vectors of shared/notes/protocol.md §1.6, captured from containerd-shim-runc-v2 1.6.20:
// they decode to the documented messages and berth's encoder produces the same bytes.
import API
import Errdefs
import Foundation
import RPC
import SwiftProtobuf
import Testing

@Suite struct GoldenFrameTests {
    static let connectRequest = hex("""
        00000051 00000001 01 00
         0a17 636f6e7461696e6572642e7461736b2e76322e5461736b
         1207 436f6e6e656374
         1a08 0a0670726f626531
         2a23 0a1a 636f6e7461696e6572642d6e616d6573706163652d7474727063 1205 70726f6265
        """)
    static let connectResponse = hex("00000006 00000001 02 00  1204 08da8d01")
    static let notFound = hex("""
        00000026 00000003 02 00  0a24 0805 1220 636f6e7461696e6572206e6f7420637265617465643a206e6f7420666f756e64
        """)
    static let unknownService = hex("""
        00000025 00000005 02 00  0a23 080c 121f 7365727669636520636f6e7461696e6572642e7461736b2e76332e5461736b
        """)
    static let forward = hex("""
        00000101 00000001 01 00 0a2a 636f6e7461696e6572642e73657276696365732e6576656e74732e74747270632e76312e4576656e7473
         1207 466f7277617264 1a9e01 0a9b01 0a0b 0889858ed80610f99a8c12 1205 70726f6265 1a0d 2f7461736b732f637265617465
         2276 0a1c 636f6e7461696e6572642e6576656e74732e5461736b437265617465 1256 0a0670726f626531 120e 2f746d702f74702f62756e646c65
         2238 121a 2f746d702f74702f6669666f2f70726f6265312d7374646f7574 1a1a 2f746d702f74702f6669666f2f70726f6265312d737464657272
         30fa8d01 20efa997d012 2a23 0a1a 636f6e7461696e6572642d6e616d6573706163652d7474727063 1205 70726f6265
        """)
    static let deleteResponse = hex("0898b601 108901 1a0c 08c4858ed806 10d0d0b5a501")

    func onlyFrame(_ bytes: [UInt8]) throws -> Frame {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        guard case .frame(let frame)? = decoder.next() else {
            Issue.record("no frame decoded")
            throw CoreError(.dataLoss, "no frame")
        }
        #expect(decoder.next() == nil)
        return frame
    }

    @Test func connectRequestDecodesAndReencodes() throws {
        let frame = try onlyFrame(Self.connectRequest)
        #expect(frame.streamID == 1 && frame.type == .request && frame.flags == [])
        let request = try TTRPC_Request(serializedBytes: frame.payload)
        #expect(request.service == "containerd.task.v2.Task")
        #expect(request.method == "Connect")
        #expect(try Containerd_Task_V2_ConnectRequest(serializedBytes: [UInt8](request.payload)).id == "probe1")
        #expect(request.metadata.map(\.key) == ["containerd-namespace-ttrpc"])
        #expect(request.metadata.map(\.value) == ["probe"])

        // Our client produces the very same bytes for the same call.
        var client = ClientConnection()
        var connect = Containerd_Task_V2_ConnectRequest()
        connect.id = "probe1"
        let (sid, bytes) = try client.startCall(service: TaskAPI.serviceV2, method: "Connect",
                                                payload: try connect.serializedBytes(), kind: .unary,
                                                metadata: [Metadata.namespaceKey: "probe"])
        #expect(sid == 1)
        #expect(hexString(bytes) == hexString(Self.connectRequest))
    }

    @Test func okResponseMatchesTheShims() throws {
        var reply = Containerd_Task_V2_ConnectResponse()
        reply.shimPid = 18138
        let bytes = ServerConnection.response(streamID: 1, .success(try reply.serializedBytes()))
        #expect(hexString(bytes) == hexString(Self.connectResponse))

        var client = ClientConnection()
        _ = try client.startCall(service: "s", method: "m", payload: [], kind: .unary)
        let events = client.receive(Self.connectResponse)
        guard case .response(1, .success(let payload))? = events.first else {
            Issue.record("unexpected \(events)")
            return
        }
        #expect(try Containerd_Task_V2_ConnectResponse(serializedBytes: payload).shimPid == 18138)
    }

    @Test func errorResponseMatchesTheShims() throws {
        let bytes = ServerConnection.response(streamID: 3, .failure(CoreError(.notFound, "container not created: not found")))
        #expect(hexString(bytes) == hexString(Self.notFound))

        var client = ClientConnection()
        _ = try client.startCall(service: "s", method: "m", payload: [], kind: .unary)  // 1
        _ = try client.startCall(service: "s", method: "m", payload: [], kind: .unary)  // 3
        #expect(client.receive(Self.notFound) == [.response(streamID: 3, .failure(CoreError(.notFound, "container not created: not found")))])
    }

    @Test func unknownServiceAnswerMatchesTheShims() throws {
        // A v3 call to a server that only serves v2 gets exactly the 1.6 shim's answer.
        var registry = ServiceRegistry()
        registry.unary(TaskAPI.serviceV2, "Connect") { (_: Containerd_Task_V2_ConnectRequest, _) in
            Containerd_Task_V2_ConnectResponse()
        }
        var server = ServerConnection(registry: registry)
        var client = ClientConnection()
        for _ in 0..<2 { _ = try client.startCall(service: "x", method: "y", payload: [], kind: .unary) }
        let (sid, request) = try client.startCall(service: TaskAPI.serviceV3, method: "Connect", payload: [], kind: .unary)
        #expect(sid == 5)
        // Streams 1 and 3 were never sent to this server; ids only need to increase.
        let actions = server.receive(request)
        guard actions.count == 1, case .send(let bytes) = actions[0] else {
            Issue.record("unexpected \(actions)")
            return
        }
        #expect(hexString(bytes) == hexString(Self.unknownService))
    }

    @Test func forwardedTaskCreateDecodesAndRoundTrips() throws {
        let frame = try onlyFrame(Self.forward)
        let request = try TTRPC_Request(serializedBytes: frame.payload)
        #expect(request.service == EventsAPI.service && request.method == "Forward")
        #expect(request.timeoutNano == 4_999_992_559)
        let forward = try Containerd_Services_Events_Ttrpc_V1_ForwardRequest(serializedBytes: [UInt8](request.payload))
        #expect(forward.envelope.namespace == "probe")
        #expect(forward.envelope.topic == TaskTopic.create)
        let create = try #require(try forward.envelope.event.unpack(Containerd_Events_TaskCreate.self))
        #expect(create.containerID == "probe1")
        #expect(create.bundle == "/tmp/tp/bundle")
        #expect(create.io.stdout == "/tmp/tp/fifo/probe1-stdout")
        #expect(create.io.stderr == "/tmp/tp/fifo/probe1-stderr")
        #expect(create.pid == 18170)
        // Re-encoding what we decoded gives the same bytes: every field number and type agrees.
        let again = try Frame(streamID: 1, type: .request, payload: try request.serializedBytes()).encoded()
        #expect(hexString(again) == hexString(Self.forward))
        #expect(hexString(try Google_Protobuf_Any(containerd: create).serializedBytes()) ==
                hexString(try forward.envelope.event.serializedBytes()))
    }

    @Test func deleteResponseDecodes() throws {
        let reply = try Containerd_Task_V2_DeleteResponse(serializedBytes: Self.deleteResponse)
        #expect(reply.pid == 23320)
        #expect(reply.exitStatus == 137)
        #expect(reply.exitedAt.seconds > 1_700_000_000)
        #expect(hexString(try reply.serializedBytes()) == hexString(Self.deleteResponse))
    }

    @Test func emptyOkResponseIsTenBytes() {
        // What an events server answers a shim: an OK Response with no body.
        #expect(hexString(ServerConnection.response(streamID: 7, .success([]))) == "00000000000000070200")
    }

    @Test func everyOkStatusShapeIsOk() throws {
        // No status, status{} and status{code:0} all mean OK.
        for body in [hex(""), hex("0a00"), hex("0a02 0800")] {
            var client = ClientConnection()
            _ = try client.startCall(service: "s", method: "m", payload: [], kind: .unary)
            var frame = try Frame(streamID: 1, type: .response, payload: body).encoded()
            frame += []
            #expect(client.receive(frame) == [.response(streamID: 1, .success([]))])
        }
    }
}
