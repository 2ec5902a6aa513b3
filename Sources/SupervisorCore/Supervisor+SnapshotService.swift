// Supervisor+SnapshotService: the Snapshots service — list, mounts, remove and usage of the
// namespace's overlay snapshots (image layers by chain id, containers' writable layers); a removal
// is followed by a collection of the layers it leaves unneeded.
import API
import Errdefs
import Foundation
import RPC
import Snapshots
import SwiftProtobuf

extension Supervisor {
    func registerSnapshots(on registry: inout ServiceRegistry) {
        let service = SupervisorAPI.snapshots
        registry.unary(service, "List") { [self] (request: Supervisor_ListSnapshotsRequest, context) in
            try Self.checkSnapshotter(request.snapshotter)
            var response = Supervisor_ListSnapshotsResponse()
            response.snapshots = snapshots.list(try Self.namespace(of: context)).map { info in
                var out = Supervisor_SnapshotInfo()
                out.key = info.key
                out.parent = info.parent ?? ""
                out.kind = info.kind == .committed ? .committed : .active
                out.createdAt = Google_Protobuf_Timestamp(date: Date(timeIntervalSince1970: info.created))
                return out
            }
            return response
        }
        registry.unary(service, "Mounts") { [self] (request: Supervisor_SnapshotMountsRequest, context) in
            try Self.checkSnapshotter(request.snapshotter)
            var response = Supervisor_SnapshotMountsResponse()
            response.mounts = try snapshots.mounts(try Self.namespace(of: context), key: request.key).map { mount in
                var out = Containerd_Types_Mount()
                out.type = mount.type
                out.source = mount.source
                out.options = mount.options
                return out
            }
            return response
        }
        registry.unary(service, "Remove") { [self] (request: Supervisor_RemoveSnapshotRequest, context) -> Google_Protobuf_Empty in
            try Self.checkSnapshotter(request.snapshotter)
            let ns = try Self.namespace(of: context)
            let users = containers.all(Supervisor_Container.self, namespace: ns).records.filter { $0.1.snapshotKey == request.key }
            guard users.isEmpty else {
                throw CoreError(.failedPrecondition, "snapshot \(request.key) is container \(users[0].0)'s rootfs: delete the container")
            }
            try snapshots.remove(ns, key: request.key)
            collectSnapshots(in: ns)  // the parents it leaves without children, unless an image needs them
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Usage") { [self] (request: Supervisor_SnapshotUsageRequest, context) in
            try Self.checkSnapshotter(request.snapshotter)
            let usage = try snapshots.usage(try Self.namespace(of: context), key: request.key)
            var response = Supervisor_SnapshotUsageResponse()
            response.size = usage.bytes
            response.inodes = usage.inodes
            return response
        }
    }

    static func checkSnapshotter(_ name: String) throws(CoreError) {
        guard name.isEmpty || name == "overlayfs" else { throw CoreError(.notFound, "snapshotter \(name) does not exist (overlayfs does)") }
    }
}
