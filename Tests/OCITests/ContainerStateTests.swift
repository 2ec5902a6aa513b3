// ContainerStateTests: the state document uses the keys `runc state` prints and decodes back,
// including runc's own output and the spec's minimal form.
import Errdefs
import OCI
import Testing

@Suite struct ContainerStateTests {
    @Test func encodesRuncKeys() throws {
        let state = ContainerState(ociVersion: "1.2.1", id: "web-1", status: .running, pid: 4242,
                                   bundle: "/run/bundles/web-1", rootfs: "/run/bundles/web-1/rootfs",
                                   created: "2024-05-01T10:20:30.123456789Z", owner: "",
                                   annotations: ["a": "b"])
        let text = String(decoding: try state.encoded(), as: UTF8.self)
        for pair in [#""ociVersion":"1.2.1""#, #""id":"web-1""#, #""status":"running""#, #""pid":4242"#,
                     #""bundle":"/run/bundles/web-1""#, #""rootfs":"/run/bundles/web-1/rootfs""#,
                     #""created":"2024-05-01T10:20:30.123456789Z""#, #""owner":"""#, #""annotations":{"a":"b"}"#] {
            #expect(text.contains(pair), "missing \(pair) in \(text)")
        }
        #expect(try ContainerState.decode(from: state.encodedPretty()) == state)
    }

    @Test func minimalStateOmitsOptionalKeys() throws {
        let state = ContainerState(id: "c", status: .creating, bundle: "/b")
        let text = String(decoding: try state.encoded(), as: UTF8.self)
        for key in ["pid", "rootfs", "created", "owner", "annotations"] {
            #expect(!text.contains("\"\(key)\""), "unexpected \(key) in \(text)")
        }
        #expect(try ContainerState.decode(from: state.encoded()) == state)
    }

    @Test func decodesRuncStateOutput() throws {
        let runc = """
        {
          "ociVersion": "1.2.0",
          "id": "test",
          "pid": 0,
          "status": "paused",
          "bundle": "/tmp/bundle",
          "rootfs": "/tmp/bundle/rootfs",
          "created": "2024-05-01T10:20:30.123456789Z",
          "owner": "",
          "someNewField": 1
        }
        """
        let state = try ContainerState.decode(from: Array(runc.utf8))
        #expect(state == ContainerState(ociVersion: "1.2.0", id: "test", status: .paused, pid: 0,
                                        bundle: "/tmp/bundle", rootfs: "/tmp/bundle/rootfs",
                                        created: "2024-05-01T10:20:30.123456789Z", owner: ""))
    }

    @Test func unknownStatusNamesTheField() {
        let json = #"{"ociVersion": "1.0.0", "id": "x", "status": "exploded", "bundle": "/b"}"#
        let error = #expect(throws: CoreError.self) { try ContainerState.decode(from: Array(json.utf8)) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("state: status") == true, "got: \(error?.message ?? "")")
    }
}
