// TransportFlowControlTests: a client streaming faster than its handler consumes is slowed down,
// not failed. The server stops reading the connection while a call's queue is long and reads
// again when the handler catches up; every message arrives, once, in order, and other
// connections are served meanwhile.
import Errdefs
import Foundation
import RPC
import RPCNIO
import Testing

@Suite struct TransportFlowControlTests {
    static func registry() -> ServiceRegistry {
        var r = ServiceRegistry()
        r.register(service: "t.F", method: "Echo", .unary { bytes, _ in bytes })
        // Checks that message i starts with i (4 bytes, big-endian), sleeping a little per message.
        r.register(service: "t.F", method: "SlowCheck", .clientStreaming { inbound, _ in
            var expected: UInt32 = 0
            var bytes = 0
            for try await m in inbound {
                let index = m.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard index == expected else { return Array("out of order at \(expected): got \(index)".utf8) }
                expected += 1
                bytes += m.count
                try await Task.sleep(for: .milliseconds(2))
            }
            return Array("\(expected) messages, \(bytes) bytes".utf8)
        })
        return r
    }

    @Test func aFastUploadIsPacedNotFailed() async throws {
        try await withServer(Self.registry()) { server in
            let client = try await RPCClient.connect(path: server.path)
            let call = try await client.clientStreaming(service: "t.F", method: "SlowCheck")
            let count = 600, size = 32 * 1024  // far beyond the 16 queued messages that pause reading
            let upload = Task {
                for i in 0..<count {
                    var message = [UInt8](repeating: 0x61, count: size)
                    withUnsafeBytes(of: UInt32(i).bigEndian) { message.replaceSubrange(0..<4, with: $0) }
                    try await call.send(message)
                }
                return try await call.finish()
            }
            // Another connection is answered while the upload is held back. (Deadlines are generous:
            // on a loaded machine the whole test process shares two cooperative threads.)
            try await Task.sleep(for: .milliseconds(200))
            let other = try await RPCClient.connect(path: server.path)
            #expect(try await other.unary(service: "t.F", method: "Echo", request: [7], timeout: .seconds(60)) == [7])
            await other.close()
            let reply = String(decoding: try await upload.value, as: UTF8.self)
            #expect(reply == "\(count) messages, \(count * size) bytes")
            // The connection reads again after the call: a next call on it is answered.
            #expect(try await client.unary(service: "t.F", method: "Echo", request: [9], timeout: .seconds(60)) == [9])
            await client.close()
        }
    }
}
