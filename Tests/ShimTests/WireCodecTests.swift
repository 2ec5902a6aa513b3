// The shim's own protobuf codec against SwiftProtobuf's generated types: every message it reads
// decodes what SwiftProtobuf (and so containerd) writes, every message it writes decodes there
// with the same values, and the bytes match the golden frames of shared notes §1.6.
import API
import Errdefs
import Foundation
import RPC
import ShimCore
import SwiftProtobuf
import TestSupport
import Testing

@Suite(.offPool) struct WireCodecTests {
    @Test func readsCreateAsContainerdWritesIt() throws {
        var theirs = Containerd_Task_V2_CreateTaskRequest()
        theirs.id = "c1"
        theirs.bundle = "/run/b/c1"
        var mount = Containerd_Types_Mount()
        mount.type = "overlay"
        mount.source = "overlay"
        mount.options = ["lowerdir=/a:/b", "upperdir=/u", "", "workdir=/w"]
        theirs.rootfs = [mount, Containerd_Types_Mount()]
        theirs.terminal = true
        theirs.stdin = "/f/in"
        theirs.stdout = "/f/out"
        theirs.stderr = "/f/err"
        theirs.checkpoint = "cp"
        theirs.parentCheckpoint = "pcp"
        var options = Containerd_Runc_V1_Options()
        options.binaryName = "runc"
        options.root = "/run/x"
        options.systemdCgroup = true
        options.ioUid = 1000
        theirs.options.typeURL = "containerd.runc.v1.Options"
        theirs.options.value = try options.serializedData()

        let ours = try CreateTaskRequest(protoBytes: try theirs.serializedBytes() as [UInt8])
        #expect(ours.id == "c1" && ours.bundle == "/run/b/c1" && ours.terminal)
        #expect(ours.stdin == "/f/in" && ours.stdout == "/f/out" && ours.stderr == "/f/err")
        #expect(ours.checkpoint == "cp" && ours.parentCheckpoint == "pcp")
        #expect(ours.rootfs.count == 2)
        #expect(ours.rootfs[0].type == "overlay" && ours.rootfs[0].options == mount.options)
        #expect(ours.options?.messageName == "Options" || ours.options?.typeURL == "containerd.runc.v1.Options")
        let runc = try RuncOptions(protoBytes: try #require(ours.options).value)
        #expect(runc.binaryName == "runc" && runc.root == "/run/x")
        // And back: what we write, they read the same.
        let again = try Containerd_Task_V2_CreateTaskRequest(serializedBytes: ours.protoBytes)
        #expect(again == theirs)
    }

    @Test func repliesDecodeInSwiftProtobuf() throws {
        var state = StateResponse()
        state.id = "c1"
        state.bundle = "/b"
        state.pid = 4242
        state.status = .stopped
        state.stdin = "i"
        state.stdout = "o"
        state.stderr = "e"
        state.terminal = true
        state.exitStatus = 137
        state.exitedAt = Timestamp(seconds: 1_732_406_400, nanos: 123_456_789)
        state.execID = "x"
        let theirState = try Containerd_Task_V2_StateResponse(serializedBytes: state.protoBytes)
        #expect(theirState.id == "c1" && theirState.bundle == "/b" && theirState.pid == 4242)
        #expect(theirState.status == .stopped && theirState.terminal && theirState.exitStatus == 137)
        #expect(theirState.exitedAt.seconds == 1_732_406_400 && theirState.exitedAt.nanos == 123_456_789)
        #expect(theirState.stdin == "i" && theirState.stdout == "o" && theirState.stderr == "e" && theirState.execID == "x")
        #expect(try StateResponse(protoBytes: try theirState.serializedBytes() as [UInt8]) == state)

        var delete = DeleteResponse()
        delete.pid = 7
        delete.exitStatus = 3
        delete.exitedAt = Timestamp(seconds: 5, nanos: 6)
        let theirDelete = try Containerd_Task_V2_DeleteResponse(serializedBytes: delete.protoBytes)
        #expect(theirDelete.pid == 7 && theirDelete.exitStatus == 3 && theirDelete.exitedAt.nanos == 6)

        var wait = WaitResponse()
        wait.exitStatus = 255
        wait.exitedAt = Timestamp(seconds: -1, nanos: 0)  // negative int64: ten-byte varint
        let theirWait = try Containerd_Task_V2_WaitResponse(serializedBytes: wait.protoBytes)
        #expect(theirWait.exitStatus == 255 && theirWait.exitedAt.seconds == -1)

        var connect = ConnectResponse()
        connect.shimPid = 1
        connect.taskPid = 2
        connect.version = "3"
        let theirConnect = try Containerd_Task_V2_ConnectResponse(serializedBytes: connect.protoBytes)
        #expect(theirConnect.shimPid == 1 && theirConnect.taskPid == 2 && theirConnect.version == "3")

        var pids = PidsResponse()
        pids.processes = [ProcessInfo(pid: 10), ProcessInfo(pid: 11)]
        pids.processes[1].info = AnyMessage(typeURL: "containerd.runc.v1.ProcessDetails", value: [0x0a, 0x01, 0x65])
        let theirPids = try Containerd_Task_V2_PidsResponse(serializedBytes: pids.protoBytes)
        #expect(theirPids.processes.map(\.pid) == [10, 11])
        #expect(theirPids.processes[1].info.typeURL == "containerd.runc.v1.ProcessDetails")

        #expect(try Containerd_Task_V2_CreateTaskResponse(serializedBytes: PidResponse(pid: 99).protoBytes).pid == 99)
        #expect(PidResponse().protoBytes.isEmpty, "defaults are not written")
    }

    @Test func readsTheSmallRequests() throws {
        var kill = Containerd_Task_V2_KillRequest()
        kill.id = "c"
        kill.execID = "e"
        kill.signal = 9
        kill.all = true
        let ours = try KillRequest(protoBytes: try kill.serializedBytes() as [UInt8])
        #expect(ours.id == "c" && ours.execID == "e" && ours.signal == 9 && ours.all)

        var shutdown = Containerd_Task_V2_ShutdownRequest()
        shutdown.id = "c"
        shutdown.now = true
        #expect(try ShutdownRequest(protoBytes: try shutdown.serializedBytes() as [UInt8]).now)

        var close = Containerd_Task_V2_CloseIORequest()
        close.id = "c"
        close.stdin = true
        #expect(try CloseIORequest(protoBytes: try close.serializedBytes() as [UInt8]).stdin)

        // A request with fields the shim does not know (ResizePty's width/height) reads as ProcessRequest.
        var resize = Containerd_Task_V2_ResizePtyRequest()
        resize.id = "c"
        resize.execID = "e"
        resize.width = 80
        resize.height = 24
        let process = try ProcessRequest(protoBytes: try resize.serializedBytes() as [UInt8])
        #expect(process.id == "c" && process.execID == "e")
    }

    @Test func ttrpcEnvelopeMatchesTheGoldenFrames() throws {
        // shared notes §1.6: Connect {id:"probe1"} with the namespace metadata.
        var request = TTRPCRequest()
        request.service = "containerd.task.v2.Task"
        request.method = "Connect"
        request.payload = [0x0a, 0x06] + Array("probe1".utf8)
        request.metadata = [.init("containerd-namespace-ttrpc", "probe")]
        let golden: [UInt8] = try TTRPC_Request(serializedBytes: request.protoBytes).serializedBytes()
        #expect(golden == request.protoBytes)
        #expect(request.protoBytes.count == 0x51)
        #expect(try TTRPCRequest(protoBytes: golden).metadataValue("containerd-namespace-ttrpc") == "probe")

        // An OK reply: no status, payload ConnectResponse{shim_pid:18138} → 1204 08da8d01.
        var connect = ConnectResponse()
        connect.shimPid = 18138
        #expect(TTRPCResponse(.success(connect.protoBytes)).protoBytes == [0x12, 0x04, 0x08, 0xda, 0x8d, 0x01])
        // An error reply: code 5, "container not created: not found".
        let error = TTRPCResponse(.failure(CoreError(.notFound, "container not created: not found"))).protoBytes
        #expect(Array(error.prefix(4)) == [0x0a, 0x24, 0x08, 0x05])
        let theirs = try TTRPC_Response(serializedBytes: error)
        #expect(theirs.status.code == 5 && theirs.status.message == "container not created: not found")
    }

    @Test func malformedBytesAreInvalidArgument() throws {
        let cases: [[UInt8]] = [
            [0x0a],  // tag, no length
            [0x0a, 0x05, 0x41],  // length past the end
            [0x0a, 0x02, 0xc3, 0x28],  // invalid UTF-8 in a string
            [0x0b],  // start group
            [0x08] + [UInt8](repeating: 0xff, count: 11),  // varint over 10 bytes
            [0x00, 0x01],  // field number 0
        ]
        for bytes in cases {
            do {
                _ = try ProcessRequest(protoBytes: bytes)
                Issue.record("decoded malformed \(bytes)")
            } catch {
                #expect(error.code == .invalidArgument)
            }
        }
        // A known field with the wrong wire type is skipped like an unknown one.
        #expect(try ProcessRequest(protoBytes: [0x08, 0x01, 0x12, 0x01, 0x65]).execID == "e")
    }
}

@Suite(.offPool) struct EventCodecTests {
    @Test func forwardRequestDecodesInSwiftProtobuf() throws {
        var create = TaskCreateEvent()
        create.containerID = "c1"
        create.bundle = "/b"
        var mount = MountSpec()
        mount.type = "overlay"
        mount.options = ["a", ""]
        create.rootfs = [mount]
        create.io = TaskIOEvent(stdin: "i", stdout: "o", stderr: "e", terminal: true)
        create.checkpoint = "cp"
        create.pid = 42
        var envelope = EventEnvelope()
        envelope.timestamp = Timestamp(seconds: 1_700_000_000, nanos: 5)
        envelope.namespace = "ns"
        let event = TaskEvent.create(create)
        envelope.topic = event.topic
        envelope.event = event.event
        var forward = ForwardRequest()
        forward.envelope = envelope

        let theirs = try Containerd_Services_Events_Ttrpc_V1_ForwardRequest(serializedBytes: forward.protoBytes)
        #expect(theirs.envelope.namespace == "ns" && theirs.envelope.topic == "/tasks/create")
        #expect(theirs.envelope.timestamp.seconds == 1_700_000_000 && theirs.envelope.timestamp.nanos == 5)
        #expect(theirs.envelope.event.typeURL == "containerd.events.TaskCreate")
        let decoded = try #require(try theirs.envelope.event.unpack(Containerd_Events_TaskCreate.self))
        #expect(decoded.containerID == "c1" && decoded.bundle == "/b" && decoded.pid == 42 && decoded.checkpoint == "cp")
        #expect(decoded.rootfs.first?.options == ["a", ""] && decoded.io.stdout == "o" && decoded.io.terminal)
        #expect(try TaskCreateEvent(protoBytes: try decoded.serializedBytes() as [UInt8]) == create)
    }

    @Test func taskEventsDecodeInSwiftProtobuf() throws {
        let record = ExitRecord(pid: 7, exitStatus: 137, exitedAt: Timestamp(seconds: 9, nanos: 1))
        let exit = try Containerd_Events_TaskExit(serializedBytes: TaskEvent.exit(TaskExitEvent(containerID: "c", id: "e", record)).event.value)
        #expect(exit.containerID == "c" && exit.id == "e" && exit.pid == 7 && exit.exitStatus == 137 && exit.exitedAt.seconds == 9)
        let delete = try Containerd_Events_TaskDelete(serializedBytes: TaskEvent.delete(TaskDeleteEvent(containerID: "c", id: "c", record)).event.value)
        #expect(delete.containerID == "c" && delete.id == "c" && delete.pid == 7 && delete.exitStatus == 137 && delete.exitedAt.nanos == 1)
        let start = try Containerd_Events_TaskStart(serializedBytes: TaskEvent.start(TaskStartEvent(containerID: "c", pid: 3)).event.value)
        #expect(start.containerID == "c" && start.pid == 3)
        let started = try Containerd_Events_TaskExecStarted(serializedBytes:
            TaskEvent.execStarted(TaskExecEvent(containerID: "c", execID: "e", pid: 4)).event.value)
        #expect(started.containerID == "c" && started.execID == "e" && started.pid == 4)
        #expect(TaskEvent.execAdded(TaskExecEvent(containerID: "c", execID: "e")).event.typeURL == "containerd.events.TaskExecAdded")
        for (event, name) in [(TaskEvent.paused("c"), "TaskPaused"), (.resumed("c"), "TaskResumed"), (.oom("c"), "TaskOOM")] {
            #expect(event.event.typeURL == "containerd.events.\(name)")
            #expect(try Containerd_Events_TaskOOM(serializedBytes: event.event.value).containerID == "c")
        }
    }

    @Test func readsExecAsContainerdWritesIt() throws {
        var theirs = Containerd_Task_V2_ExecProcessRequest()
        theirs.id = "c1"
        theirs.execID = "e1"
        theirs.terminal = true
        theirs.stdin = "i"
        theirs.stdout = "o"
        theirs.stderr = "e"
        theirs.spec = Google_Protobuf_Any(ociType: "Process", json: Array(#"{"args":["sh"]}"#.utf8))
        let ours = try ExecProcessRequest(protoBytes: try theirs.serializedBytes() as [UInt8])
        #expect(ours.id == "c1" && ours.execID == "e1" && ours.terminal && ours.stdin == "i" && ours.stdout == "o" && ours.stderr == "e")
        #expect(ours.spec?.typeURL == theirs.spec.typeURL && ours.spec?.value == Array(theirs.spec.value))
        #expect(try Containerd_Task_V2_ExecProcessRequest(serializedBytes: ours.protoBytes) == theirs)
    }

    @Test func readsResizePtyAsContainerdWritesIt() throws {
        var theirs = Containerd_Task_V2_ResizePtyRequest()
        theirs.id = "c1"
        theirs.execID = "e1"
        theirs.width = 132
        theirs.height = 50
        let ours = try ResizePtyRequest(protoBytes: try theirs.serializedBytes() as [UInt8])
        #expect(ours.id == "c1" && ours.execID == "e1" && ours.width == 132 && ours.height == 50)
        #expect(try Containerd_Task_V2_ResizePtyRequest(serializedBytes: ours.protoBytes) == theirs)
    }

    @Test func cgroupMetricsDecodeInSwiftProtobuf() throws {
        let v1 = NumericMessage([:], [2: NumericMessage([1: 3, 2: 50]),
                                      4: NumericMessage([1: 7, 2: 8], [33: NumericMessage([1: 64 << 20, 2: 1 << 20, 4: 2])])])
        let theirs1 = try Io_Containerd_Cgroups_V1_Metrics(serializedBytes: v1.protoBytes)
        #expect(theirs1.pids.current == 3 && theirs1.pids.limit == 50)
        #expect(theirs1.memory.cache == 7 && theirs1.memory.rss == 8)
        #expect(theirs1.memory.usage.limit == 64 << 20 && theirs1.memory.usage.usage == 1 << 20 && theirs1.memory.usage.failcnt == 2)
        #expect(try NumericMessage(protoBytes: try theirs1.serializedBytes() as [UInt8]) == v1)
        let v2 = NumericMessage([:], [1: NumericMessage([1: 4]), 2: NumericMessage([1: 9, 3: 2]),
                                      4: NumericMessage([32: 1 << 20, 33: .max])])
        let theirs2 = try Io_Containerd_Cgroups_V2_Metrics(serializedBytes: v2.protoBytes)
        #expect(theirs2.pids.current == 4 && theirs2.cpu.usageUsec == 9 && theirs2.cpu.systemUsec == 2)
        #expect(theirs2.memory.usage == 1 << 20 && theirs2.memory.usageLimit == .max)
    }
}
