// TaskMessages: the containerd.task.v2 (and v3) Task messages berth-shim serves, plus the runc
// shim's Options that ride in Create's `options`. Field numbers are those of
// Protocols/containerd/task/v2/shim.proto and runc/options/oci.proto (shared notes §2.2, §2.5).
import Errdefs

/// `containerd.v1.types.Status`.
public enum TaskStatus: Int32, Sendable {
    case unknown = 0, created = 1, running = 2, stopped = 3, paused = 4, pausing = 5
}

/// The requests that name a process and nothing else: State, Start, Delete and Wait
/// (id=1, exec_id=2), and Pids, Pause, Resume, Connect and Stats, which have only id=1 (an
/// exec_id sent to them is read but has no meaning).
public struct ProcessRequest: ProtoMessage, Equatable {
    public var id = ""
    public var execID = ""
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): id = try r.string()
        case (2, .lengthDelimited): execID = try r.string()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, id)
        w.string(2, execID)
    }
}

/// `CreateTaskRequest`.
public struct CreateTaskRequest: ProtoMessage, Equatable {
    public var id = ""
    public var bundle = ""
    public var rootfs: [MountSpec] = []
    public var terminal = false
    public var stdin = ""
    public var stdout = ""
    public var stderr = ""
    public var checkpoint = ""
    public var parentCheckpoint = ""
    public var options: AnyMessage?
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): id = try r.string()
        case (2, .lengthDelimited): bundle = try r.string()
        case (3, .lengthDelimited): rootfs.append(try r.message())
        case (4, .varint): terminal = try r.bool()
        case (5, .lengthDelimited): stdin = try r.string()
        case (6, .lengthDelimited): stdout = try r.string()
        case (7, .lengthDelimited): stderr = try r.string()
        case (8, .lengthDelimited): checkpoint = try r.string()
        case (9, .lengthDelimited): parentCheckpoint = try r.string()
        case (10, .lengthDelimited): options = try r.message()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, id)
        w.string(2, bundle)
        w.repeatedMessage(3, rootfs)
        w.bool(4, terminal)
        w.string(5, stdin)
        w.string(6, stdout)
        w.string(7, stderr)
        w.string(8, checkpoint)
        w.string(9, parentCheckpoint)
        w.message(10, options)
    }
}

/// A reply holding only `pid=1`: CreateTaskResponse and StartResponse.
public struct PidResponse: ProtoMessage, Equatable {
    public var pid: UInt32 = 0
    public init() {}
    public init(pid: UInt32) { self.pid = pid }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        guard field == 1, wire == .varint else { return false }
        pid = try r.uint32()
        return true
    }

    public func encode(to w: inout ProtoWriter) { w.uint32(1, pid) }
}

/// `StateResponse`.
public struct StateResponse: ProtoMessage, Equatable {
    public var id = ""
    public var bundle = ""
    public var pid: UInt32 = 0
    public var status: TaskStatus = .unknown
    public var stdin = ""
    public var stdout = ""
    public var stderr = ""
    public var terminal = false
    public var exitStatus: UInt32 = 0
    public var exitedAt: Timestamp?
    public var execID = ""
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): id = try r.string()
        case (2, .lengthDelimited): bundle = try r.string()
        case (3, .varint): pid = try r.uint32()
        case (4, .varint): status = TaskStatus(rawValue: try r.int32()) ?? .unknown
        case (5, .lengthDelimited): stdin = try r.string()
        case (6, .lengthDelimited): stdout = try r.string()
        case (7, .lengthDelimited): stderr = try r.string()
        case (8, .varint): terminal = try r.bool()
        case (9, .varint): exitStatus = try r.uint32()
        case (10, .lengthDelimited): exitedAt = try r.message()
        case (11, .lengthDelimited): execID = try r.string()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, id)
        w.string(2, bundle)
        w.uint32(3, pid)
        w.int32(4, status.rawValue)
        w.string(5, stdin)
        w.string(6, stdout)
        w.string(7, stderr)
        w.bool(8, terminal)
        w.uint32(9, exitStatus)
        w.message(10, exitedAt)
        w.string(11, execID)
    }
}

/// `DeleteResponse` (pid=1, exit_status=2, exited_at=3), also what `berth-shim delete` prints.
public struct DeleteResponse: ProtoMessage, Equatable {
    public var pid: UInt32 = 0
    public var exitStatus: UInt32 = 0
    public var exitedAt: Timestamp?
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .varint): pid = try r.uint32()
        case (2, .varint): exitStatus = try r.uint32()
        case (3, .lengthDelimited): exitedAt = try r.message()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.uint32(1, pid)
        w.uint32(2, exitStatus)
        w.message(3, exitedAt)
    }
}

/// `WaitResponse` (exit_status=1, exited_at=2).
public struct WaitResponse: ProtoMessage, Equatable {
    public var exitStatus: UInt32 = 0
    public var exitedAt: Timestamp?
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .varint): exitStatus = try r.uint32()
        case (2, .lengthDelimited): exitedAt = try r.message()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.uint32(1, exitStatus)
        w.message(2, exitedAt)
    }
}

/// `KillRequest`.
public struct KillRequest: ProtoMessage, Equatable {
    public var id = ""
    public var execID = ""
    public var signal: UInt32 = 0
    public var all = false
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): id = try r.string()
        case (2, .lengthDelimited): execID = try r.string()
        case (3, .varint): signal = try r.uint32()
        case (4, .varint): all = try r.bool()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, id)
        w.string(2, execID)
        w.uint32(3, signal)
        w.bool(4, all)
    }
}

/// `PidsResponse` (processes=1).
public struct PidsResponse: ProtoMessage, Equatable {
    public var processes: [ProcessInfo] = []
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        guard field == 1, wire == .lengthDelimited else { return false }
        processes.append(try r.message())
        return true
    }

    public func encode(to w: inout ProtoWriter) { w.repeatedMessage(1, processes) }
}

/// `ConnectResponse` (shim_pid=1, task_pid=2, version=3).
public struct ConnectResponse: ProtoMessage, Equatable {
    public var shimPid: UInt32 = 0
    public var taskPid: UInt32 = 0
    public var version = ""
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .varint): shimPid = try r.uint32()
        case (2, .varint): taskPid = try r.uint32()
        case (3, .lengthDelimited): version = try r.string()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.uint32(1, shimPid)
        w.uint32(2, taskPid)
        w.string(3, version)
    }
}

/// `CloseIORequest` (id=1, exec_id=2, stdin=3).
public struct CloseIORequest: ProtoMessage, Equatable {
    public var id = ""
    public var execID = ""
    public var stdin = false
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): id = try r.string()
        case (2, .lengthDelimited): execID = try r.string()
        case (3, .varint): stdin = try r.bool()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, id)
        w.string(2, execID)
        w.bool(3, stdin)
    }
}

/// `ShutdownRequest` (id=1, now=2).
public struct ShutdownRequest: ProtoMessage, Equatable {
    public var id = ""
    public var now = false
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): id = try r.string()
        case (2, .varint): now = try r.bool()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, id)
        w.bool(2, now)
    }
}

/// `containerd.runc.v1.Options`, the fields the shim uses: binary_name=6 (the runtime) and
/// root=7 (its --root). Other fields are accepted and ignored.
public struct RuncOptions: ProtoMessage, Equatable {
    public static let typeName = "containerd.runc.v1.Options"
    public var binaryName = ""
    public var root = ""
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (6, .lengthDelimited): binaryName = try r.string()
        case (7, .lengthDelimited): root = try r.string()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(6, binaryName)
        w.string(7, root)
    }
}

/// `ExecProcessRequest` (id=1, exec_id=2, terminal=3, stdin=4, stdout=5, stderr=6, spec=7 Any
/// holding an OCI Process as JSON).
public struct ExecProcessRequest: ProtoMessage, Equatable {
    public var id = ""
    public var execID = ""
    public var terminal = false
    public var stdin = ""
    public var stdout = ""
    public var stderr = ""
    public var spec: AnyMessage?
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): id = try r.string()
        case (2, .lengthDelimited): execID = try r.string()
        case (3, .varint): terminal = try r.bool()
        case (4, .lengthDelimited): stdin = try r.string()
        case (5, .lengthDelimited): stdout = try r.string()
        case (6, .lengthDelimited): stderr = try r.string()
        case (7, .lengthDelimited): spec = try r.message()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, id)
        w.string(2, execID)
        w.bool(3, terminal)
        w.string(4, stdin)
        w.string(5, stdout)
        w.string(6, stderr)
        w.message(7, spec)
    }
}

/// `ResizePtyRequest` (id=1, exec_id=2, width=3, height=4).
public struct ResizePtyRequest: ProtoMessage, Equatable {
    public var id = ""
    public var execID = ""
    public var width: UInt32 = 0
    public var height: UInt32 = 0
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): id = try r.string()
        case (2, .lengthDelimited): execID = try r.string()
        case (3, .varint): width = try r.uint32()
        case (4, .varint): height = try r.uint32()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, id)
        w.string(2, execID)
        w.uint32(3, width)
        w.uint32(4, height)
    }
}

/// `UpdateTaskRequest` (id=1, resources=2 Any holding LinuxResources JSON; annotations=3 are
/// not read).
public struct UpdateTaskRequest: ProtoMessage, Equatable {
    public var id = ""
    public var resources: AnyMessage?
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch (field, wire) {
        case (1, .lengthDelimited): id = try r.string()
        case (2, .lengthDelimited): resources = try r.message()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        w.string(1, id)
        w.message(2, resources)
    }
}

/// `StatsResponse` (stats=1 Any).
public struct StatsResponse: ProtoMessage, Equatable {
    public var stats: AnyMessage?
    public init() {}

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        guard field == 1, wire == .lengthDelimited else { return false }
        stats = try r.message()
        return true
    }

    public func encode(to w: inout ProtoWriter) { w.message(1, stats) }
}
