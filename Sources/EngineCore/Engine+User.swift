// Engine+User: `-u` resolved against the container's own user database once its snapshot exists
// (create), and for `exec -u`; the container record's spec is updated when the result differs
// from the plain numeric reading.
import API
import Errdefs
import Foundation
import OCI
import SwiftProtobuf

extension Engine {
    /// The user `spec` names in container `id`'s filesystem.
    func lookUpUser(_ spec: String, in id: String) async throws -> User {
        var request = Supervisor_SnapshotMountsRequest()
        request.snapshotter = "overlayfs"
        request.key = id
        let made = request
        let mounts: Supervisor_SnapshotMountsResponse = try await link.run { try await $0.call(SupervisorAPI.snapshots, "Mounts", made) }
        return try UserLookup.resolve(spec, passwd: UserLookup.readFile("/etc/passwd", mounts: mounts.mounts),
                                      group: UserLookup.readFile("/etc/group", mounts: mounts.mounts))
    }

    /// After the supervisor container exists: resolves `-u` and rewrites the record's spec if needed.
    func applyUser(_ stored: Engine_StoredContainer, container: Supervisor_Container) async throws {
        let spec = stored.inspect.config.user
        guard !spec.isEmpty else { return }
        let user = try await lookUpUser(spec, in: stored.inspect.id)
        if let numeric = try DockerSpec.numericUser(spec), numeric == user { return }
        var updated = container
        let built = try DockerSpec.build(stored, cgroupParent: config.cgroupParent, cgroupNamespace: cgroupNamespace, user: user)
        updated.spec = Google_Protobuf_Any(ociType: "Spec", json: try built.encoded())
        var request = Supervisor_UpdateContainerRequest()
        request.container = updated
        request.updateMask = ["spec"]
        let made = request
        let _: Supervisor_UpdateContainerResponse = try await link.run { try await $0.call(SupervisorAPI.containers, "Update", made) }
    }
}
