// Supervisor+Snapshots: containers made from an image. Creating a container that names an
// image unpacks the image's layers into committed overlay snapshots keyed by chain id (once per
// namespace; each layer's diff id checked against the config), prepares the container's writable
// snapshot over them, and completes the spec from the image config as ctr's WithImageConfig
// does (command, environment, working directory, numeric user). A task of such a container
// gets the snapshot's mounts as its rootfs; deleting the container removes its snapshot (and
// the collection then its layers, once no image and no other container needs them).
import API
import Archive
import Errdefs
import Foundation
import Images
import OCI
import Snapshots

extension Supervisor {
    /// Unpacks `container.image`, prepares its snapshot, and returns the container completed.
    /// Holds `layers` throughout: a collection sees the image gone or the container's snapshot made.
    func prepareFromImage(_ container: Supervisor_Container, namespace ns: String) throws -> Supervisor_Container {
        try layers.withLock { try prepareFromImageLocked(container, namespace: ns) }
    }

    private func prepareFromImageLocked(_ container: Supervisor_Container, namespace ns: String) throws -> Supervisor_Container {
        var container = container
        let record = try image(container.image, in: ns)
        container.image = record.name
        let manifest: ImageManifest = try decodeJSON(content.read(try ContentDigest(parsing: record.target.digest)))
        let config: ImageConfig = try decodeJSON(content.read(try ContentDigest(parsing: manifest.config.digest)))
        let chain = ChainID.of(config.rootfs.diff_ids)
        for (index, layer) in manifest.layers.enumerated() {
            let expected = config.rootfs.diff_ids[index]
            try snapshots.commitNew(ns, key: chain[index], parent: index == 0 ? nil : chain[index - 1]) { dir in
                let diffID = try LayerApplier.apply(try FileSource(path: content.path(of: try ContentDigest(parsing: layer.digest))), to: dir,
                                                  limits: self.config.layerLimits, what: "layer \(layer.digest)")
                guard diffID.description == expected else {
                    throw CoreError(.dataLoss, "layer \(layer.digest) unpacks to \(diffID), its config says \(expected)")
                }
            }
        }
        if container.snapshotKey.isEmpty { container.snapshotKey = container.id }
        container.snapshotter = "overlayfs"
        _ = try snapshots.prepare(ns, key: container.snapshotKey, parent: chain.last)
        do {
            container.spec.value = Data(try Self.applyImageConfig(config, to: [UInt8](container.spec.value)))
        } catch {
            try? snapshots.remove(ns, key: container.snapshotKey)
            throw error
        }
        return container
    }

    /// The task's rootfs mounts from the container's snapshot.
    func rootfsMounts(of container: Supervisor_Container, namespace ns: String) throws(CoreError) -> [Containerd_Types_Mount] {
        try snapshots.mounts(ns, key: container.snapshotKey).map { mount in
            var out = Containerd_Types_Mount()
            out.type = mount.type
            out.source = mount.source
            out.options = mount.options
            return out
        }
    }

    /// Args from Entrypoint + Cmd when the spec has none, image Env (with a default PATH) under the spec's own, the
    /// image's WorkingDir unless the spec chose one, a numeric image User unless the spec set one.
    static func applyImageConfig(_ config: ImageConfig, to specBytes: [UInt8]) throws(CoreError) -> [UInt8] {
        var spec = try Spec.decode(from: specBytes)
        var process = spec.process ?? Process(user: User(uid: 0, gid: 0), cwd: "/")
        let image = config.config
        if process.args?.isEmpty ?? true {
            let args = (image?.Entrypoint ?? []) + (image?.Cmd ?? [])
            guard !args.isEmpty else { throw CoreError(.invalidArgument, "the image has no command (Entrypoint or Cmd): give one") }
            process.args = args
        }
        var env = image?.Env ?? []
        if !env.contains(where: { $0.hasPrefix("PATH=") }) {
            env.insert("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", at: 0)
        }
        for variable in process.env ?? [] {
            let name = variable.split(separator: "=", maxSplits: 1).first.map(String.init) ?? variable
            env.removeAll { $0.hasPrefix(name + "=") }
            env.append(variable)
        }
        process.env = env
        if process.cwd == "/", let dir = image?.WorkingDir, !dir.isEmpty { process.cwd = dir }
        if process.user.uid == 0, let user = image?.User, !user.isEmpty {
            let parts = user.split(separator: ":").map { UInt32($0) }
            guard let uid = parts.first ?? nil else {
                throw CoreError(.unimplemented, "image user \"\(user)\" is a name; only numeric users are supported yet")
            }
            process.user.uid = uid
            process.user.gid = parts.count > 1 ? (parts[1] ?? 0) : 0
        }
        spec.process = process
        spec.root = Root(path: "rootfs", readonly: spec.root?.readonly)
        return try spec.encoded()
    }

    private func decodeJSON<T: Decodable>(_ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(bytes))
    }
}
