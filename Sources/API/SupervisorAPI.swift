// SupervisorAPI: the names of berth-supervisor's services (`berth.supervisor.v1`) and a typed
// client, used by berth-ctr, the engine and the tests. The namespace of every call travels in
// ttrpc metadata, as with containerd.
import Errdefs
import RPC
import SwiftProtobuf

public enum SupervisorAPI {
    public static let namespaces = "berth.supervisor.v1.Namespaces"
    public static let containers = "berth.supervisor.v1.Containers"
    public static let tasks = "berth.supervisor.v1.Tasks"
    public static let events = "berth.supervisor.v1.Events"
    public static let images = "berth.supervisor.v1.Images"
    public static let snapshots = "berth.supervisor.v1.Snapshots"
    /// The namespace used when a caller names none.
    public static let defaultNamespace = "default"
}

/// A typed client of berth-supervisor for one namespace.
public struct SupervisorClient: Sendable {
    public let rpc: any RPCCaller
    public let namespace: String
    public var timeout: Duration?

    public init(rpc: any RPCCaller, namespace: String = SupervisorAPI.defaultNamespace, timeout: Duration? = .seconds(60)) {
        self.rpc = rpc
        self.namespace = namespace
        self.timeout = timeout
    }

    /// The same connection, another namespace.
    public func inNamespace(_ name: String) -> SupervisorClient {
        SupervisorClient(rpc: rpc, namespace: name, timeout: timeout)
    }

    public func call<Req: Message, Resp: Message>(_ service: String, _ method: String, _ request: Req,
                                                  timeout: Duration? = nil) async throws -> Resp {
        try await rpc.call(service, method, request, timeout: timeout ?? self.timeout,
                           metadata: [Metadata.namespaceKey: namespace])
    }

    // MARK: namespaces

    public func createNamespace(_ name: String, labels: [String: String] = [:]) async throws {
        var request = Supervisor_CreateNamespaceRequest()
        request.namespace.name = name
        request.namespace.labels = labels
        let _: Supervisor_CreateNamespaceResponse = try await call(SupervisorAPI.namespaces, "Create", request)
    }

    public func listNamespaces() async throws -> [Supervisor_Namespace] {
        let response: Supervisor_ListNamespacesResponse = try await call(SupervisorAPI.namespaces, "List",
                                                                         Supervisor_ListNamespacesRequest())
        return response.namespaces
    }

    public func deleteNamespace(_ name: String) async throws {
        var request = Supervisor_DeleteNamespaceRequest()
        request.name = name
        let _: Google_Protobuf_Empty = try await call(SupervisorAPI.namespaces, "Delete", request)
    }

    // MARK: containers

    @discardableResult
    public func createContainer(_ container: Supervisor_Container) async throws -> Supervisor_Container {
        var request = Supervisor_CreateContainerRequest()
        request.container = container
        let response: Supervisor_CreateContainerResponse = try await call(SupervisorAPI.containers, "Create", request)
        return response.container
    }

    public func container(_ id: String) async throws -> Supervisor_Container {
        var request = Supervisor_GetContainerRequest()
        request.id = id
        let response: Supervisor_GetContainerResponse = try await call(SupervisorAPI.containers, "Get", request)
        return response.container
    }

    public func listContainers(filters: [String] = []) async throws -> [Supervisor_Container] {
        var request = Supervisor_ListContainersRequest()
        request.filters = filters
        let response: Supervisor_ListContainersResponse = try await call(SupervisorAPI.containers, "List", request)
        return response.containers
    }

    public func deleteContainer(_ id: String) async throws {
        var request = Supervisor_DeleteContainerRequest()
        request.id = id
        let _: Google_Protobuf_Empty = try await call(SupervisorAPI.containers, "Delete", request)
    }

    // MARK: tasks

    public func createTask(_ request: Supervisor_CreateTaskRequest) async throws -> Supervisor_CreateTaskResponse {
        try await call(SupervisorAPI.tasks, "Create", request)
    }

    @discardableResult
    public func startTask(_ id: String, execID: String = "") async throws -> UInt32 {
        var request = Supervisor_StartTaskRequest()
        request.containerID = id
        request.execID = execID
        let response: Supervisor_StartTaskResponse = try await call(SupervisorAPI.tasks, "Start", request)
        return response.pid
    }

    @discardableResult
    public func deleteTask(_ id: String, execID: String = "") async throws -> Supervisor_DeleteTaskResponse {
        var request = Supervisor_DeleteTaskRequest()
        request.containerID = id
        request.execID = execID
        return try await call(SupervisorAPI.tasks, "Delete", request)
    }

    public func kill(_ id: String, signal: Int32, execID: String = "", all: Bool = false) async throws {
        var request = Supervisor_KillTaskRequest()
        request.containerID = id
        request.execID = execID
        request.signal = UInt32(signal)
        request.all = all
        let _: Google_Protobuf_Empty = try await call(SupervisorAPI.tasks, "Kill", request)
    }

    public func exec(_ request: Supervisor_ExecProcessRequest) async throws {
        let _: Google_Protobuf_Empty = try await call(SupervisorAPI.tasks, "Exec", request)
    }

    public func pause(_ id: String) async throws {
        var request = Supervisor_PauseTaskRequest()
        request.containerID = id
        let _: Google_Protobuf_Empty = try await call(SupervisorAPI.tasks, "Pause", request)
    }

    public func resume(_ id: String) async throws {
        var request = Supervisor_ResumeTaskRequest()
        request.containerID = id
        let _: Google_Protobuf_Empty = try await call(SupervisorAPI.tasks, "Resume", request)
    }

    public func pids(_ id: String) async throws -> [Containerd_V1_Types_ProcessInfo] {
        var request = Supervisor_ListPidsRequest()
        request.containerID = id
        let response: Supervisor_ListPidsResponse = try await call(SupervisorAPI.tasks, "ListPids", request)
        return response.processes
    }

    /// Blocks until the process exits (no deadline unless `timeout` is given).
    public func wait(_ id: String, execID: String = "", timeout: Duration? = nil) async throws -> Supervisor_WaitTaskResponse {
        var request = Supervisor_WaitTaskRequest()
        request.containerID = id
        request.execID = execID
        return try await rpc.call(SupervisorAPI.tasks, "Wait", request, timeout: timeout,
                                  metadata: [Metadata.namespaceKey: namespace])
    }

    public func task(_ id: String, execID: String = "") async throws -> Supervisor_Process {
        var request = Supervisor_GetTaskRequest()
        request.containerID = id
        request.execID = execID
        let response: Supervisor_GetTaskResponse = try await call(SupervisorAPI.tasks, "Get", request)
        return response.process
    }

    public func listTasks() async throws -> [Supervisor_Process] {
        let response: Supervisor_ListTasksResponse = try await call(SupervisorAPI.tasks, "List", Supervisor_ListTasksRequest())
        return response.tasks
    }

    public func resize(_ id: String, execID: String = "", width: UInt32, height: UInt32) async throws {
        var request = Supervisor_ResizePtyRequest()
        request.containerID = id
        request.execID = execID
        request.width = width
        request.height = height
        let _: Google_Protobuf_Empty = try await call(SupervisorAPI.tasks, "ResizePty", request)
    }

    public func closeStdin(_ id: String, execID: String = "") async throws {
        var request = Supervisor_CloseIORequest()
        request.containerID = id
        request.execID = execID
        request.stdin = true
        let _: Google_Protobuf_Empty = try await call(SupervisorAPI.tasks, "CloseIO", request)
    }

    public func metrics(filters: [String] = []) async throws -> [Supervisor_Metric] {
        var request = Supervisor_MetricsRequest()
        request.filters = filters
        let response: Supervisor_MetricsResponse = try await call(SupervisorAPI.tasks, "Metrics", request)
        return response.metrics
    }
}
