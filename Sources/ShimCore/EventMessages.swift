// EventMessages: what berth-shim publishes — containerd.types.Envelope inside the
// containerd.services.events.ttrpc.v1 ForwardRequest, and the containerd.events Task* messages
// (field numbers of Protocols/containerd/events/task.proto and types/event.proto; shared notes §4).
// Only encoding matters to the shim; decoding is there so the tests can cross-check each message
// against the SwiftProtobuf-generated types.
import Errdefs

/// A task event: its topic and its message packed the way containerd packs it.
public struct TaskEvent: Sendable, Equatable {
    public var topic: String
    public var event: AnyMessage

    public init<M: ProtoMessage>(_ topic: String, _ typeName: String, _ message: M) {
        self.topic = topic
        event = AnyMessage(typeURL: "containerd.events.\(typeName)", value: message.protoBytes)
    }

    public static func create(_ m: TaskCreateEvent) -> TaskEvent { TaskEvent("/tasks/create", "TaskCreate", m) }
    public static func start(_ m: TaskStartEvent) -> TaskEvent { TaskEvent("/tasks/start", "TaskStart", m) }
    public static func exit(_ m: TaskExitEvent) -> TaskEvent { TaskEvent("/tasks/exit", "TaskExit", m) }
    public static func delete(_ m: TaskDeleteEvent) -> TaskEvent { TaskEvent("/tasks/delete", "TaskDelete", m) }
    public static func execAdded(_ m: TaskExecEvent) -> TaskEvent { TaskEvent("/tasks/exec-added", "TaskExecAdded", m) }
    public static func execStarted(_ m: TaskExecEvent) -> TaskEvent { TaskEvent("/tasks/exec-started", "TaskExecStarted", m) }
    public static func paused(_ id: String) -> TaskEvent { TaskEvent("/tasks/paused", "TaskPaused", ContainerEvent(id)) }
    public static func resumed(_ id: String) -> TaskEvent { TaskEvent("/tasks/resumed", "TaskResumed", ContainerEvent(id)) }
    public static func oom(_ id: String) -> TaskEvent { TaskEvent("/tasks/oom", "TaskOOM", ContainerEvent(id)) }
}

/// `containerd.types.Envelope`: timestamp=1, namespace=2, topic=3, event=4 (Any).
public struct EventEnvelope: ProtoMessage, Equatable {
    public var timestamp: Timestamp?
    public var namespace = ""
    public var topic = ""
    public var event: AnyMessage?
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): timestamp = try r.message()
        case (2, .lengthDelimited): namespace = try r.string()
        case (3, .lengthDelimited): topic = try r.string()
        case (4, .lengthDelimited): event = try r.message()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.message(1, timestamp)
        w.string(2, namespace)
        w.string(3, topic)
        w.message(4, event)
    }
}

/// `ForwardRequest`: envelope=1.
public struct ForwardRequest: ProtoMessage, Equatable {
    public var envelope: EventEnvelope?
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        guard field == 1, wire == .lengthDelimited else { return false }
        envelope = try r.message()
        return true
    }

    public func encode(to w: inout ProtoWriter) { w.message(1, envelope) }
}

/// `TaskIO`: stdin=1, stdout=2, stderr=3, terminal=4.
public struct TaskIOEvent: ProtoMessage, Equatable {
    public var stdin = "", stdout = "", stderr = ""
    public var terminal = false
    public init() {}
    public init(stdin: String, stdout: String, stderr: String, terminal: Bool) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.terminal = terminal
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): stdin = try r.string()
        case (2, .lengthDelimited): stdout = try r.string()
        case (3, .lengthDelimited): stderr = try r.string()
        case (4, .varint): terminal = try r.bool()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, stdin)
        w.string(2, stdout)
        w.string(3, stderr)
        w.bool(4, terminal)
    }
}

/// `TaskCreate`: container_id=1, bundle=2, rootfs=3, io=4, checkpoint=5, pid=6.
public struct TaskCreateEvent: ProtoMessage, Equatable {
    public var containerID = ""
    public var bundle = ""
    public var rootfs: [MountSpec] = []
    public var io: TaskIOEvent?
    public var checkpoint = ""
    public var pid: UInt32 = 0
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): containerID = try r.string()
        case (2, .lengthDelimited): bundle = try r.string()
        case (3, .lengthDelimited): rootfs.append(try r.message())
        case (4, .lengthDelimited): io = try r.message()
        case (5, .lengthDelimited): checkpoint = try r.string()
        case (6, .varint): pid = try r.uint32()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, containerID)
        w.string(2, bundle)
        w.repeatedMessage(3, rootfs)
        w.message(4, io)
        w.string(5, checkpoint)
        w.uint32(6, pid)
    }
}

/// `TaskStart`: container_id=1, pid=2.
public struct TaskStartEvent: ProtoMessage, Equatable {
    public var containerID = ""
    public var pid: UInt32 = 0
    public init() {}
    public init(containerID: String, pid: UInt32) {
        self.containerID = containerID
        self.pid = pid
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): containerID = try r.string()
        case (2, .varint): pid = try r.uint32()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, containerID)
        w.uint32(2, pid)
    }
}

/// `TaskExit`: container_id=1, id=2 (the exec id, or the container id for the init), pid=3,
/// exit_status=4, exited_at=5.
public struct TaskExitEvent: ProtoMessage, Equatable {
    public var containerID = ""
    public var id = ""
    public var pid: UInt32 = 0
    public var exitStatus: UInt32 = 0
    public var exitedAt: Timestamp?
    public init() {}
    public init(containerID: String, id: String, _ record: ExitRecord) {
        self.containerID = containerID
        self.id = id
        pid = record.pid
        exitStatus = record.exitStatus
        exitedAt = record.exitedAt
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): containerID = try r.string()
        case (2, .lengthDelimited): id = try r.string()
        case (3, .varint): pid = try r.uint32()
        case (4, .varint): exitStatus = try r.uint32()
        case (5, .lengthDelimited): exitedAt = try r.message()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, containerID)
        w.string(2, id)
        w.uint32(3, pid)
        w.uint32(4, exitStatus)
        w.message(5, exitedAt)
    }
}

/// `TaskDelete`: container_id=1, pid=2, exit_status=3, exited_at=4, id=5.
public struct TaskDeleteEvent: ProtoMessage, Equatable {
    public var containerID = ""
    public var pid: UInt32 = 0
    public var exitStatus: UInt32 = 0
    public var exitedAt: Timestamp?
    public var id = ""
    public init() {}
    public init(containerID: String, id: String, _ record: ExitRecord) {
        self.containerID = containerID
        self.id = id
        pid = record.pid
        exitStatus = record.exitStatus
        exitedAt = record.exitedAt
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): containerID = try r.string()
        case (2, .varint): pid = try r.uint32()
        case (3, .varint): exitStatus = try r.uint32()
        case (4, .lengthDelimited): exitedAt = try r.message()
        case (5, .lengthDelimited): id = try r.string()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, containerID)
        w.uint32(2, pid)
        w.uint32(3, exitStatus)
        w.message(4, exitedAt)
        w.string(5, id)
    }
}

/// `TaskExecAdded` (container_id=1, exec_id=2) and `TaskExecStarted` (the same plus pid=3).
public struct TaskExecEvent: ProtoMessage, Equatable {
    public var containerID = ""
    public var execID = ""
    public var pid: UInt32 = 0
    public init() {}
    public init(containerID: String, execID: String, pid: UInt32 = 0) {
        self.containerID = containerID
        self.execID = execID
        self.pid = pid
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): containerID = try r.string()
        case (2, .lengthDelimited): execID = try r.string()
        case (3, .varint): pid = try r.uint32()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, containerID)
        w.string(2, execID)
        w.uint32(3, pid)
    }
}

/// `TaskPaused`, `TaskResumed` and `TaskOOM`: container_id=1 only.
public struct ContainerEvent: ProtoMessage, Equatable {
    public var containerID = ""
    public init() {}
    public init(_ containerID: String) { self.containerID = containerID }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        guard field == 1, wire == .lengthDelimited else { return false }
        containerID = try r.string()
        return true
    }

    public func encode(to w: inout ProtoWriter) { w.string(1, containerID) }
}
