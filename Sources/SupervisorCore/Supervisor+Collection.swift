// Supervisor+Collection: garbage collection. Content: the blobs no image of any namespace refers
// to (through its manifest) go. Snapshots: in each namespace, the committed layer snapshots that
// no image of that namespace reaches (the chain ids of its config's diff ids) and that no other
// snapshot is built on go — so a container's snapshot keeps its whole chain, and the chain goes
// with the last container once the image is gone. It runs after an image import or delete, after
// a container's snapshot is removed, and at start once the tasks are restored. Unpacking an image
// into snapshots holds the same lock, so a collection never removes layers a container is being
// made on.
import API
import Foundation
import Images

extension Supervisor {
    /// Removes every blob no image needs (unless an import is under way: its blobs belong to no
    /// image yet, and the next delete or restart collects), then every namespace's layer
    /// snapshots that nothing needs.
    func collectGarbage() {
        layers.withLock {
            if importing.withLock({ $0 }) == 0 { collectContent() }
            for ns in snapshots.namespaces() { collectSnapshotsLocked(in: ns) }
        }
    }

    /// Removes the layer snapshots of `ns` that no image of `ns` and no other snapshot needs.
    func collectSnapshots(in ns: String) {
        layers.withLock { collectSnapshotsLocked(in: ns) }
    }

    private func collectContent() {
        var keep: Set<ContentDigest> = []
        for ns in images.namespaces() {
            for (_, image) in images.all(Supervisor_Image.self, namespace: ns).records {
                guard let manifestDigest = try? ContentDigest(parsing: image.target.digest) else { continue }
                keep.insert(manifestDigest)
                guard let manifest: ImageManifest = readJSON(manifestDigest) else { continue }
                for blob in [manifest.config] + manifest.layers {
                    if let digest = try? ContentDigest(parsing: blob.digest) { keep.insert(digest) }
                }
            }
        }
        let removed = content.garbageCollect(keeping: keep)
        if !removed.isEmpty { logger.info("content collected", metadata: ["blobs": "\(removed.count)"]) }
    }

    private func collectSnapshotsLocked(in ns: String) {
        guard let keep = layerChains(in: ns) else { return }
        let removed = snapshots.prune(ns, keeping: keep)
        if !removed.isEmpty { logger.info("layer snapshots collected", metadata: ["namespace": "\(ns)", "snapshots": "\(removed.count)"]) }
    }

    /// The chain ids of every image of `ns`; nil (collect nothing) when an image record, its
    /// manifest or its config cannot be read — its layers cannot be told apart from garbage.
    private func layerChains(in ns: String) -> Set<String>? {
        let (records, errors) = images.all(Supervisor_Image.self, namespace: ns)
        var chains: Set<String> = []
        for (_, image) in records {
            guard let manifestDigest = try? ContentDigest(parsing: image.target.digest),
                  let manifest: ImageManifest = readJSON(manifestDigest),
                  let configDigest = try? ContentDigest(parsing: manifest.config.digest),
                  let config: ImageConfig = readJSON(configDigest) else {
                logger.warning("image unreadable: layer snapshots not collected", metadata: ["namespace": "\(ns)", "image": "\(image.name)"])
                return nil
            }
            chains.formUnion(ChainID.of(config.rootfs.diff_ids))
        }
        guard errors.isEmpty else {
            logger.warning("image records unreadable: layer snapshots not collected", metadata: ["namespace": "\(ns)", "errors": "\(errors)"])
            return nil
        }
        return chains
    }

    private func readJSON<T: Decodable>(_ digest: ContentDigest) -> T? {
        guard let bytes = try? content.read(digest) else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(bytes))
    }
}
