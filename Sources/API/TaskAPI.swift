// TaskAPI: containerd's shim v2 Task service over ttrpc: its service names (served as both
// containerd.task.v2.Task and containerd.task.v3.Task), its methods, and a typed client.
import Errdefs
import RPC
import SwiftProtobuf

public typealias TaskEmpty = SwiftProtobuf.Google_Protobuf_Empty

/// Names of the Task service.
public enum TaskAPI {
    public static let serviceV2 = "containerd.task.v2.Task"
    public static let serviceV3 = "containerd.task.v3.Task"

    /// The 17 methods, all unary.
    public enum Method: String, CaseIterable, Sendable {
        case state = "State", create = "Create", start = "Start", delete = "Delete", pids = "Pids"
        case pause = "Pause", resume = "Resume", checkpoint = "Checkpoint", kill = "Kill", exec = "Exec"
        case resizePty = "ResizePty", closeIO = "CloseIO", update = "Update", wait = "Wait", stats = "Stats"
        case connect = "Connect", shutdown = "Shutdown"
    }
}

/// A typed client of a shim's Task service, carrying containerd's namespace metadata on every call.
public struct TaskClient: Sendable {
    public let rpc: any RPCCaller
    public let namespace: String
    public let service: String

    public init(rpc: any RPCCaller, namespace: String, service: String = TaskAPI.serviceV2) {
        self.rpc = rpc
        self.namespace = namespace
        self.service = service
    }

    private func call<Req: Message, Resp: Message>(_ method: TaskAPI.Method, _ request: Req,
                                                   timeout: Duration?) async throws -> Resp {
        try await rpc.call(service, method.rawValue, request, timeout: timeout,
                           metadata: [Metadata.namespaceKey: namespace])
    }


    public func state(_ r: Containerd_Task_V2_StateRequest, timeout: Duration? = nil) async throws -> Containerd_Task_V2_StateResponse { try await call(.state, r, timeout: timeout) }
    public func create(_ r: Containerd_Task_V2_CreateTaskRequest, timeout: Duration? = nil) async throws -> Containerd_Task_V2_CreateTaskResponse { try await call(.create, r, timeout: timeout) }
    public func start(_ r: Containerd_Task_V2_StartRequest, timeout: Duration? = nil) async throws -> Containerd_Task_V2_StartResponse { try await call(.start, r, timeout: timeout) }
    public func delete(_ r: Containerd_Task_V2_DeleteRequest, timeout: Duration? = nil) async throws -> Containerd_Task_V2_DeleteResponse { try await call(.delete, r, timeout: timeout) }
    public func pids(_ r: Containerd_Task_V2_PidsRequest, timeout: Duration? = nil) async throws -> Containerd_Task_V2_PidsResponse { try await call(.pids, r, timeout: timeout) }
    public func pause(_ r: Containerd_Task_V2_PauseRequest, timeout: Duration? = nil) async throws -> TaskEmpty { try await call(.pause, r, timeout: timeout) }
    public func resume(_ r: Containerd_Task_V2_ResumeRequest, timeout: Duration? = nil) async throws -> TaskEmpty { try await call(.resume, r, timeout: timeout) }
    public func kill(_ r: Containerd_Task_V2_KillRequest, timeout: Duration? = nil) async throws -> TaskEmpty { try await call(.kill, r, timeout: timeout) }
    public func exec(_ r: Containerd_Task_V2_ExecProcessRequest, timeout: Duration? = nil) async throws -> TaskEmpty { try await call(.exec, r, timeout: timeout) }
    public func resizePty(_ r: Containerd_Task_V2_ResizePtyRequest, timeout: Duration? = nil) async throws -> TaskEmpty { try await call(.resizePty, r, timeout: timeout) }
    public func closeIO(_ r: Containerd_Task_V2_CloseIORequest, timeout: Duration? = nil) async throws -> TaskEmpty { try await call(.closeIO, r, timeout: timeout) }
    public func update(_ r: Containerd_Task_V2_UpdateTaskRequest, timeout: Duration? = nil) async throws -> TaskEmpty { try await call(.update, r, timeout: timeout) }
    public func wait(_ r: Containerd_Task_V2_WaitRequest, timeout: Duration? = nil) async throws -> Containerd_Task_V2_WaitResponse { try await call(.wait, r, timeout: timeout) }
    public func stats(_ r: Containerd_Task_V2_StatsRequest, timeout: Duration? = nil) async throws -> Containerd_Task_V2_StatsResponse { try await call(.stats, r, timeout: timeout) }
    public func connect(_ r: Containerd_Task_V2_ConnectRequest, timeout: Duration? = nil) async throws -> Containerd_Task_V2_ConnectResponse { try await call(.connect, r, timeout: timeout) }
    public func shutdown(_ r: Containerd_Task_V2_ShutdownRequest, timeout: Duration? = nil) async throws -> TaskEmpty { try await call(.shutdown, r, timeout: timeout) }
}
