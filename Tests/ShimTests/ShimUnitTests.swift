// Unit tests of the shim's small parts: Go-style flag parsing, the socket name (SHA-256 as
// containerd computes it), the exit record and atomic files, the runtime's JSON bits, and the
// ttrpc connection state machine.
import Digest
import Errdefs
import Foundation
import RPC
import ShimCore
import Sys
import TestSupport
import Testing

@Suite(.offPool) struct ShimUnitTests {
    @Test func parsesContainerdsFlags() throws {
        let start = try ShimFlags(parsing: ["-namespace", "moby", "-address", "/run/containerd/containerd.sock",
                                            "-publish-binary", "/usr/bin/containerd", "-id", "abc", "-debug", "start"])
        #expect(start.namespace == "moby" && start.id == "abc" && start.debug && start.action == "start")
        #expect(start.address == "/run/containerd/containerd.sock" && start.publishBinary == "/usr/bin/containerd")
        let delete = try ShimFlags(parsing: ["--namespace=k8s.io", "-id=x", "-bundle", "/b", "-debug=false", "delete"])
        #expect(delete.namespace == "k8s.io" && delete.id == "x" && delete.bundle == "/b" && !delete.debug)
        #expect(delete.action == "delete")
        #expect(try ShimFlags(parsing: ["-v"]).version)
        #expect(try ShimFlags(parsing: ["-debug-socket", "/x", "-id", "y"]).id == "y")
        #expect(try ShimFlags(parsing: ["-id", "y"]).action == "")
        #expect(throws: CoreError.self) { try ShimFlags(parsing: ["-bogus", "start"]) }
        #expect(throws: CoreError.self) { try ShimFlags(parsing: ["-id"]) }
        #expect(throws: CoreError.self) { try ShimFlags(parsing: ["-debug=maybe"]) }
        // The daemon gets the flags again without the action.
        #expect(start.daemonArguments == ["-namespace", "moby", "-id", "abc", "-address", "/run/containerd/containerd.sock",
                                          "-publish-binary", "/usr/bin/containerd", "-debug"])
    }

    @Test func socketNamesAreContainerds() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array(String(repeating: "a", count: 1000).utf8)
        #expect(SHA256.hex(long) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        let path = ShimStart.socketPath(address: "/run/containerd/containerd.sock", namespace: "default", id: "redis")
        #expect(path == "/run/containerd/s/" + SHA256.hex(Array("/run/containerd/containerd.sock/default/redis".utf8)))
        let deep = "/" + String(repeating: "d", count: 60) + "/containerd.sock"
        #expect(ShimStart.socketPath(address: deep, namespace: "n", id: "i").hasPrefix("/run/berth/s/"))
        #expect(ShimStart.socketPath(address: "", namespace: "n", id: "i").hasPrefix("/run/berth/s/"))
    }

    @Test func exitRecordIsDurableText() throws {
        let dir = NSTemporaryDirectory() + "bshim-unit-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try ExitRecord.load(bundle: dir) == nil)
        let record = ExitRecord(pid: 42, exitStatus: 137, exitedAt: Timestamp(seconds: 1_732_406_400, nanos: 5))
        try record.write(bundle: dir)
        #expect(try ExitRecord.load(bundle: dir) == record)
        #expect(try String(contentsOfFile: dir + "/init.exit", encoding: .utf8) == "pid 42\nexit_status 137\nexited_at 1732406400 5\n")
        // No temporary file is left next to it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["init.exit"])
        try "pid 1\n".write(toFile: dir + "/init.exit", atomically: true, encoding: .utf8)
        #expect(throws: CoreError.self) { try ExitRecord.load(bundle: dir) }
    }

    @Test func readsTheRuntimesJSON() {
        let line = #"{"level":"error","msg":"container \"x\" does not exist\n","time":"2024-01-01T00:00:00Z"}"#
        #expect(JSONString.value(of: "msg", in: line) == "container \"x\" does not exist\n")
        #expect(JSONString.value(of: "level", in: line) == "error")
        #expect(JSONString.value(of: "nope", in: line) == nil)
        #expect(JSONString.value(of: "msg", in: #"{"msg": "caf\u00e9"}"#) == "café")
        #expect(JSONString.integers(in: Array("[12,34, 5]\n".utf8)) == [12, 34, 5])
        #expect(JSONString.integers(in: Array("null".utf8)) == [])
        #expect(JSONString.integers(in: Array("[]".utf8)) == [])
        #expect(JSONString.integers(in: Array("[1,x]".utf8)) == nil)
    }

    @Test func idleCodeCanBeReleased() {
        // The code pages come back on the next call; the process carries on.
        #expect(ResidentMemory.releaseCode() > 0)
        #expect(SHA256.hex([]).count == 64)
    }

    @Test func idleActionRunsOncePerQuietSpell() async throws {
        let (idleRuns, timerRan) = try await blocking { () -> (Int, Bool) in
            let loop = ShimEventLoop()
            var idle = 0
            var timer = false
            loop.whenIdle(milliseconds: 30) {
                idle += 1
                // Activity (a timer) after the first quiet spell earns a second one, then stop.
                if idle == 1 { loop.after(milliseconds: 10) { timer = true } } else { loop.stop() }
            }
            try loop.run()
            return (idle, timer)
        }
        #expect(idleRuns == 2 && timerRan)
    }

    @Test func connectionStateMachine() throws {
        var connection = ShimConnection()
        var request = TTRPC_Request()
        request.service = "containerd.task.v2.Task"
        request.method = "State"
        let body: [UInt8] = try request.serializedBytes()
        // Two requests in one read, the second split across reads.
        let first = try Frame(streamID: 1, type: .request, payload: body).encoded()
        let second = try Frame(streamID: 3, type: .request, payload: body).encoded()
        var actions = connection.receive(first + second.prefix(5))
        #expect(actions.count == 1)
        guard case .call(let call)? = actions.first else { Issue.record("no call"); return }
        #expect(call.streamID == 1 && call.request.method == "State")
        actions = connection.receive(second.dropFirst(5))
        guard case .call(let next)? = actions.first else { Issue.record("no second call"); return }
        #expect(next.streamID == 3)
        // A lower id is refused on its own stream.
        actions = connection.receive(try Frame(streamID: 3, type: .request, payload: body).encoded())
        guard case .send(let reply)? = actions.first else { Issue.record("no rejection"); return }
        var decoder = FrameDecoder()
        decoder.append(reply)
        guard case .frame(let frame)? = decoder.next() else { Issue.record("no frame"); return }
        #expect(frame.streamID == 3 && frame.type == .response)
        #expect(try TTRPC_Response(serializedBytes: frame.payload).status.code == ErrorCode.invalidArgument.rawValue)
        // A Response from a client ends the conversation.
        actions = connection.receive(try Frame(streamID: 5, type: .response, payload: []).encoded())
        guard case .close? = actions.first else { Issue.record("not closed"); return }
        #expect(connection.receive(first).isEmpty)
    }
}
