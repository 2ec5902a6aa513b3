// The swift-nio transport end to end over real unix sockets: socket permissions, concurrent
// dispatch on one connection, deadlines, the size cap, garbage, peer checks and all four call shapes.
import Errdefs
import Foundation
import RPC
import RPCNIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct TransportTests {
    static func registry(gate: Gate? = nil) -> ServiceRegistry {
        var r = ServiceRegistry()
        r.register(service: "t.S", method: "Echo", .unary { bytes, _ in bytes })
        r.register(service: "t.S", method: "Block", .unary { bytes, _ in
            await gate?.wait()
            return bytes
        })
        r.register(service: "t.S", method: "Sleep", .unary { _, _ in
            try await Task.sleep(for: .seconds(30))
            return []
        })
        r.register(service: "t.S", method: "Namespace", .unary { _, context in
            Array((context.metadata[Metadata.namespaceKey] ?? "").utf8)
        })
        r.register(service: "t.S", method: "Fail", .unary { _, _ in
            throw CoreError(.failedPrecondition, "cannot pause task in created state")
        })
        r.register(service: "t.S", method: "Count", .serverStreaming { request, _, out in
            for i in 0..<Int(request.first ?? 0) { try await out.send([UInt8(i)]) }
        })
        r.register(service: "t.S", method: "CountThenFail", .serverStreaming { _, _, out in
            try await out.send([1])
            throw CoreError(.dataLoss, "broken")
        })
        r.register(service: "t.S", method: "Sum", .clientStreaming { inbound, _ in
            var total = 0
            for try await m in inbound { total += m.reduce(0) { $0 + Int($1) } }
            return Array(String(total).utf8)
        })
        r.register(service: "t.S", method: "Upper", .bidirectional { inbound, _, out in
            for try await m in inbound { try await out.send(m.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }) }
        })
        return r
    }

    @Test func socketIsPrivate() async throws {
        try await withServer(Self.registry()) { server in
            var st = stat()
            #expect(stat(server.path, &st) == 0)
            #expect(st.st_mode & 0o777 == 0o600)
            #expect(st.st_mode & S_IFMT == S_IFSOCK)
            #expect(stat((server.path as NSString).deletingLastPathComponent, &st) == 0)
            #expect(st.st_mode & 0o777 == 0o700)
        }
    }

    @Test func abstractAndRelativePathsAreRefused() async throws {
        let server = RPCServer(registry: Self.registry())
        await #expect(throws: CoreError.self) { try await server.listen(path: "@berth-abstract") }
        await #expect(throws: CoreError.self) { try await server.listen(path: "/tmp/" + String(repeating: "x", count: 120)) }
    }

    @Test func hundredCallsPassOneBlockedCallOnOneConnection() async throws {
        let gate = Gate()
        try await withServer(Self.registry(gate: gate)) { server in
            let client = try await RPCClient.connect(path: server.path)
            defer { Task { await client.close() } }
            let blocked = Task { try await client.unary(service: "t.S", method: "Block", request: [0xB1]) }
            try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for i in 0..<100 {
                    group.addTask { try await client.unary(service: "t.S", method: "Echo", request: [UInt8(i)]) }
                }
                var seen = Set<UInt8>()
                for try await reply in group { seen.insert(reply[0]) }
                #expect(seen.count == 100)
            }
            // All 100 finished while Block still waits; releasing it completes it too.
            await gate.release()
            #expect(try await blocked.value == [0xB1])
        }
    }

    @Test func deadlineExpiresWithDeadlineExceeded() async throws {
        try await withServer(Self.registry()) { server in
            let client = try await RPCClient.connect(path: server.path)
            let started = ContinuousClock.now
            do {
                _ = try await client.unary(service: "t.S", method: "Sleep", request: [], timeout: .milliseconds(200))
                Issue.record("a 30 s call returned within its 200 ms deadline")
            } catch let error as CoreError {
                #expect(error.code == .deadlineExceeded)
            }
            // Far sooner than the 30 s the call would take (generous: the suite loads 2 cores heavily).
            #expect(ContinuousClock.now - started < .seconds(20))
            // The connection is still usable.
            #expect(try await client.unary(service: "t.S", method: "Echo", request: [5]) == [5])
            await client.close()
        }
    }

    @Test func serverEnforcesTimeoutNano() async throws {
        // A raw client that does not time out itself: the server answers DeadlineExceeded.
        try await withServer(Self.registry()) { server in
            let path = server.path
            var c = ClientConnection()
            let (_, bytes) = try c.startCall(service: "t.S", method: "Sleep", payload: [], kind: .unary, timeout: .milliseconds(100))
            let reply = try await blocking {
                let raw = try RawSocket(path: path)
                try raw.write(bytes)
                return try raw.readFrame()
            }
            let frame = try #require(reply)
            #expect(c.receive(try frame.encoded()) == [.response(streamID: 1, .failure(CoreError(.deadlineExceeded, "context deadline exceeded")))])
        }
    }

    @Test func oversizedFrameGetsResourceExhaustedAndConnectionLives() async throws {
        try await withServer(Self.registry()) { server in
            let path = server.path
            var c = ClientConnection()
            _ = try c.startCall(service: "x", method: "y", payload: [], kind: .unary)
            let (sid, echo) = try c.startCall(service: "t.S", method: "Echo", payload: [9], kind: .unary)
            let (first, second) = try await blocking {
                let raw = try RawSocket(path: path)
                let length = TTRPC.maxMessageSize + 100
                try raw.write([UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff),
                               0, 0, 0, 1, 1, 0])
                try raw.write([UInt8](repeating: 0x55, count: length))
                let first = try raw.readFrame()
                // Same connection, next stream: served.
                try raw.write(echo)
                return (first, try raw.readFrame())
            }
            let answer = try #require(first)
            #expect(answer.streamID == 1 && answer.type == .response)
            let status = try TTRPC_Response(serializedBytes: answer.payload).status
            #expect(CoreError(status: status)?.code == .resourceExhausted)
            let reply = try #require(second)
            #expect(c.receive(try reply.encoded()) == [.response(streamID: sid, .success([9]))])
        }
    }

    @Test func garbageClosesOnlyThatConnection() async throws {
        try await withServer(Self.registry()) { server in
            let good = try await RPCClient.connect(path: server.path)
            let path = server.path
            let afterGarbage = try await blocking {
                let raw = try RawSocket(path: path)
                try raw.write(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                return try raw.read(1)
            }
            #expect(afterGarbage.isEmpty)  // EOF: the server closed it
            #expect(try await good.unary(service: "t.S", method: "Echo", request: [1, 2]) == [1, 2])
            await good.close()
        }
    }

    @Test func unknownServiceAndMethodAreUnimplemented() async throws {
        try await withServer(Self.registry()) { server in
            let client = try await RPCClient.connect(path: server.path)
            await #expect(throws: CoreError(.unimplemented, "service t.Nope")) {
                try await client.unary(service: "t.Nope", method: "Echo", request: [])
            }
            await #expect(throws: CoreError(.unimplemented, "method Nope")) {
                try await client.unary(service: "t.S", method: "Nope", request: [])
            }
            await #expect(throws: CoreError(.failedPrecondition, "cannot pause task in created state")) {
                try await client.unary(service: "t.S", method: "Fail", request: [])
            }
            await client.close()
        }
    }

    @Test func metadataReachesTheHandler() async throws {
        try await withServer(Self.registry()) { server in
            let client = try await RPCClient.connect(path: server.path)
            let reply = try await client.unary(service: "t.S", method: "Namespace", request: [],
                                               metadata: [Metadata.namespaceKey: "berth-test"])
            #expect(String(decoding: reply, as: UTF8.self) == "berth-test")
            await client.close()
        }
    }

    @Test func peerCheckRefusesOtherUsers() async throws {
        try await withServer(Self.registry(), authorize: { $0.uid == 4242 }) { server in
            // Refused: the first call is answered with the reason, then the connection closes.
            do {
                let client = try await RPCClient.connect(path: server.path)
                defer { Task { await client.close() } }
                _ = try await client.unary(service: "t.S", method: "Echo", request: [1], timeout: .seconds(10))
                Issue.record("a refused peer was served")
            } catch let error as CoreError {
                #expect(error.code == .permissionDenied && error.message.contains("permission denied: peer uid"), "\(error)")
            }
        }
    }

    @Test func connectToNothingIsUnavailable() async throws {
        do {
            _ = try await RPCClient.connect(path: "/tmp/berth-no-such-dir/none.sock")
            Issue.record("connected to nothing")
        } catch let error as CoreError {
            #expect(error.code == .unavailable)
            #expect(error.cause?.errno == ENOENT)
        }
    }

    @Test func serverStreaming() async throws {
        try await withServer(Self.registry()) { server in
            let client = try await RPCClient.connect(path: server.path)
            var got: [UInt8] = []
            for try await m in try await client.serverStreaming(service: "t.S", method: "Count", request: [5]) { got += m }
            #expect(got == [0, 1, 2, 3, 4])
            var partial: [UInt8] = []
            do {
                for try await m in try await client.serverStreaming(service: "t.S", method: "CountThenFail", request: []) { partial += m }
                Issue.record("stream ended without its error")
            } catch let error as CoreError {
                #expect(error == CoreError(.dataLoss, "broken"))
            }
            #expect(partial == [1])
            await client.close()
        }
    }

    @Test func clientStreaming() async throws {
        try await withServer(Self.registry()) { server in
            let client = try await RPCClient.connect(path: server.path)
            let call = try await client.clientStreaming(service: "t.S", method: "Sum")
            for i in 1...10 { try await call.send([UInt8(i)]) }
            #expect(String(decoding: try await call.finish(), as: UTF8.self) == "55")
            await client.close()
        }
    }

    @Test func bidirectional() async throws {
        try await withServer(Self.registry()) { server in
            let client = try await RPCClient.connect(path: server.path)
            let call = try await client.bidirectional(service: "t.S", method: "Upper")
            var replies = call.responses.makeAsyncIterator()
            for word in ["abc", "berth", "x1"] {
                try await call.send(Array(word.utf8))
                let reply = try #require(try await replies.next())
                #expect(String(decoding: reply, as: UTF8.self) == word.uppercased())
            }
            try await call.closeSend()
            #expect(try await replies.next() == nil)
            await client.close()
        }
    }

    @Test func closedConnectionFailsPendingCalls() async throws {
        let gate = Gate()
        try await withServer(Self.registry(gate: gate)) { server in
            let client = try await RPCClient.connect(path: server.path)
            let pending = Task { try await client.unary(service: "t.S", method: "Block", request: []) }
            try await Task.sleep(for: .milliseconds(100))
            await server.server.close()
            do {
                _ = try await pending.value
                Issue.record("call survived its connection")
            } catch let error as CoreError {
                #expect(error.code == .unavailable)
            }
            await gate.release()
        }
    }
}
