// Bad input never takes the shim down: garbage frames, protocol violations, undecodable and
// incomplete requests and unknown methods get error replies on their stream (or, for bytes that
// are not ttrpc at all, a closed connection), and the shim keeps serving other clients.
import API
import Errdefs
import Foundation
import RPC
import SwiftProtobuf
import Sys
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A raw connection to the shim for bytes no well-behaved client sends. Its blocking reads run
/// on a dedicated thread (see `exchange`).
final class RawConnection: @unchecked Sendable {
    let socket: FileDescriptor

    init(_ address: String) throws {
        socket = try UnixSocket.connect(path: String(address.dropFirst("unix://".count)))
    }

    /// Sends `bytes` and reads one reply frame (nil when the shim closes the connection).
    func exchange(_ bytes: [UInt8]) async throws -> Frame? {
        try await blocking { [socket] in
            try socket.write(bytes)
            var decoder = FrameDecoder()
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                var fds = [pollfd(fd: socket.rawValue, events: Int16(POLLIN), revents: 0)]
                guard poll(&fds, 1, 100) > 0 else { continue }
                let chunk = try socket.read(upToCount: 65536)
                if chunk.isEmpty { return nil }
                decoder.append(chunk)
                if case .frame(let frame)? = decoder.next() { return frame }
            }
            throw HarnessFailure("no reply within 10 s")
        }
    }
}

/// The status in a Response frame (nil for OK).
func status(of frame: Frame?) throws -> CoreError? {
    guard let frame else { throw HarnessFailure("connection closed instead of a reply") }
    #expect(frame.type == .response)
    return CoreError(status: try TTRPC_Response(serializedBytes: frame.payload).status)
}

func requestFrame(_ sid: UInt32, service: String = TaskAPI.serviceV2, method: String, payload: [UInt8]) throws -> [UInt8] {
    var request = TTRPC_Request()
    request.service = service
    request.method = method
    request.payload = Data(payload)
    return try Frame(streamID: sid, type: .request, payload: try request.serializedBytes()).encoded()
}

@Suite(.serialized, .offPool) struct ShimMalformedInputTests {
    @Test func errorsAreRepliesAndTheShimStaysUp() async throws {
        try await withShim { h in
            let id = "garbage"
            let bundle = try h.bundle(id: id, args: ["/bin/true"])
            let shim = try await h.startShim(id: id, bundle: bundle)
            let raw = try RawConnection(shim.address)
            func reply(_ bytes: [UInt8]) async throws -> CoreError? { try status(of: await raw.exchange(bytes)) }

            var state = Containerd_Task_V2_StateRequest()
            state.id = id
            let stateBytes: [UInt8] = try state.serializedBytes()
            // An even stream id.
            #expect(try await reply(requestFrame(2, method: "State", payload: stateBytes))?.code == .invalidArgument)
            // A Request whose payload is not a ttrpc.Request.
            let junk = try Frame(streamID: 1, type: .request, payload: [0xff, 0xff, 0xff]).encoded()
            #expect(try await reply(junk)?.code == .invalidArgument)
            // A reused stream id.
            #expect(try await reply(requestFrame(1, method: "State", payload: stateBytes))?.code == .invalidArgument)
            // Unknown service and method.
            let service = try await reply(requestFrame(3, service: "no.such.Service", method: "State", payload: []))
            #expect(service?.code == .unimplemented && service?.message == "service no.such.Service")
            let method = try await reply(requestFrame(5, method: "Frobnicate", payload: []))
            #expect(method?.code == .unimplemented && method?.message == "method Frobnicate")
            // Methods not implemented yet say so.
            #expect(try await reply(requestFrame(7, method: "Checkpoint", payload: []))?.code == .unimplemented)
            // An Exec naming no task.
            #expect(try await reply(requestFrame(9, method: "Exec", payload: []))?.code == .notFound)
            // A Task payload that does not decode, and requests missing their fields.
            #expect(try await reply(requestFrame(11, method: "State", payload: [0x0a, 0x05, 0x41]))?.code == .invalidArgument)
            #expect(try await reply(requestFrame(13, method: "State", payload: []))?.code == .notFound)
            #expect(try await reply(requestFrame(15, method: "Create", payload: []))?.code == .invalidArgument)
            #expect(try await reply(requestFrame(17, method: "Start", payload: stateBytes))?.code == .notFound)
            // Data on a stream that takes none.
            let data = try Frame(streamID: 17, type: .data, payload: [1]).encoded()
            #expect(try await reply(data)?.code == .invalidArgument)
            // An oversized frame: refused by its header, its payload skipped, the connection still usable.
            var oversized: [UInt8] = [0x00, 0x40, 0x00, 0x01, 0, 0, 0, 19, 0x01, 0x00]
            oversized += [UInt8](repeating: 0, count: (4 << 20) + 1)
            #expect(try await reply(oversized)?.code == .resourceExhausted)
            var connect = Containerd_Task_V2_ConnectRequest()
            connect.id = id
            let answered = try await raw.exchange(requestFrame(21, method: "Connect", payload: try connect.serializedBytes()))
            #expect(try status(of: answered) == nil)

            // Bytes that are not ttrpc at all: the connection is closed.
            #expect(try await raw.exchange(Array("GET / HTTP/1.1\r\n\r\n".utf8)) == nil)

            // Through all of it the shim stayed up and serves a fresh client.
            #expect(processAlive(shim.pid))
            let task = try await h.client(shim.address)
            #expect(try await task.connect(connect, timeout: .seconds(10)).shimPid == UInt32(shim.pid))
        }
    }
}
