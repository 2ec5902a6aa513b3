// Fuzz target `requests`: the request decoding of every service berth serves — the engine's,
// the supervisor's, the shim's Task API and the events forwarding — through the same
// swift-protobuf decoding the typed registry uses (ServiceRegistry+Typed): a request must decode
// or be refused, never crash, and what decodes must encode again and decode to the same message.
// The first input byte picks the message type; the rest is its wire bytes.
import API
import FuzzDriver
import SwiftProtobuf

let requestTypes: [any SwiftProtobuf.Message.Type] = [
    Containerd_Services_Events_Ttrpc_V1_ForwardRequest.self,
    Containerd_Task_V2_CheckpointTaskRequest.self,
    Containerd_Task_V2_CloseIORequest.self,
    Containerd_Task_V2_ConnectRequest.self,
    Containerd_Task_V2_CreateTaskRequest.self,
    Containerd_Task_V2_DeleteRequest.self,
    Containerd_Task_V2_ExecProcessRequest.self,
    Containerd_Task_V2_KillRequest.self,
    Containerd_Task_V2_PauseRequest.self,
    Containerd_Task_V2_PidsRequest.self,
    Containerd_Task_V2_ResizePtyRequest.self,
    Containerd_Task_V2_ResumeRequest.self,
    Containerd_Task_V2_ShutdownRequest.self,
    Containerd_Task_V2_StartRequest.self,
    Containerd_Task_V2_StateRequest.self,
    Containerd_Task_V2_StatsRequest.self,
    Containerd_Task_V2_UpdateTaskRequest.self,
    Containerd_Task_V2_WaitRequest.self,
    Engine_AttachRequest.self,
    Engine_ConnectNetworkRequest.self,
    Engine_ContainerRequest.self,
    Engine_CopyFromRequest.self,
    Engine_CopyToRequest.self,
    Engine_CreateContainerRequest.self,
    Engine_CreateNetworkRequest.self,
    Engine_CreateVolumeRequest.self,
    Engine_DisconnectNetworkRequest.self,
    Engine_ExecRequest.self,
    Engine_ImportImageRequest.self,
    Engine_InspectContainerRequest.self,
    Engine_InspectImageRequest.self,
    Engine_KillContainerRequest.self,
    Engine_ListContainersRequest.self,
    Engine_ListImagesRequest.self,
    Engine_ListNetworksRequest.self,
    Engine_ListVolumesRequest.self,
    Engine_LogsRequest.self,
    Engine_NetworkRequest.self,
    Engine_PruneRequest.self,
    Engine_RemoveContainerRequest.self,
    Engine_RemoveImageRequest.self,
    Engine_RemoveVolumeRequest.self,
    Engine_RenameContainerRequest.self,
    Engine_SaveImagesRequest.self,
    Engine_StartContainerRequest.self,
    Engine_StatsRequest.self,
    Engine_StopContainerRequest.self,
    Engine_SubscribeRequest.self,
    Engine_TagImageRequest.self,
    Engine_VolumeRequest.self,
    Engine_WaitContainerRequest.self,
    Supervisor_CloseIORequest.self,
    Supervisor_CreateContainerRequest.self,
    Supervisor_CreateImageRequest.self,
    Supervisor_CreateNamespaceRequest.self,
    Supervisor_CreateTaskRequest.self,
    Supervisor_DeleteContainerRequest.self,
    Supervisor_DeleteImageRequest.self,
    Supervisor_DeleteNamespaceRequest.self,
    Supervisor_DeleteTaskRequest.self,
    Supervisor_ExecProcessRequest.self,
    Supervisor_ExportRequest.self,
    Supervisor_GetContainerRequest.self,
    Supervisor_GetImageRequest.self,
    Supervisor_GetTaskRequest.self,
    Supervisor_KillTaskRequest.self,
    Supervisor_ListContainersRequest.self,
    Supervisor_ListImagesRequest.self,
    Supervisor_ListNamespacesRequest.self,
    Supervisor_ListPidsRequest.self,
    Supervisor_ListSnapshotsRequest.self,
    Supervisor_ListTasksRequest.self,
    Supervisor_MetricsRequest.self,
    Supervisor_PauseTaskRequest.self,
    Supervisor_RemoveSnapshotRequest.self,
    Supervisor_ResizePtyRequest.self,
    Supervisor_ResumeTaskRequest.self,
    Supervisor_SnapshotMountsRequest.self,
    Supervisor_SnapshotUsageRequest.self,
    Supervisor_StartTaskRequest.self,
    Supervisor_SubscribeRequest.self,
    Supervisor_UpdateContainerRequest.self,
    Supervisor_WaitTaskRequest.self,
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let type = requestTypes[Int(data[0]) % requestTypes.count]
    let wire = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    guard let message = try? type.init(serializedBytes: wire) else { return 0 }
    guard let again: [UInt8] = try? message.serializedBytes() else { fatalError("\(type): decoded but cannot encode") }
    guard let back = try? type.init(serializedBytes: again), back.isEqualTo(message: message) else {
        fatalError("\(type): a decoded message does not survive an encode/decode round trip")
    }
    return 0
}

@main
enum RequestsFuzzMain {
    static func main() { FuzzDriver.main(fuzz) }
}
