// OverlaySnapshotter: containerd's snapshot model on overlayfs. Each snapshot is a directory
// `<root>/<id>/fs` (plus `work` for an active one), with numeric ids so overlay's option string
// stays short; its record — key, parent, kind — is `<root>/meta/<namespace>/<sha256(key)>.json`,
// written only once the directory is complete (temporary file, fsync, rename), so a crash never
// leaves a half-made snapshot visible: at open, directories without a record are removed. A
// committed snapshot is immutable and may be the parent of others; an active one is a
// container's writable rootfs: an overlay of its parents' `fs` (nearest first) under its own.
// `prune` is the collector's half: committed snapshots outside a kept set and with no child go.
import Digest
import Errdefs
import Foundation

public struct SnapshotMount: Sendable, Equatable {
    public var type: String
    public var source: String
    public var options: [String]
}

public struct SnapshotInfo: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case committed, active }
    public var key: String
    public var parent: String?
    public var kind: Kind
    public var id: Int
    public var created: Double
}

public final class OverlaySnapshotter: @unchecked Sendable {
    public let root: String
    private let lock = NSLock()

    public init(root: String) throws(CoreError) {
        self.root = root
        do {
            try FileManager.default.createDirectory(atPath: root + "/meta", withIntermediateDirectories: true)
        } catch { throw CoreError(.internal, "mkdir \(root)/meta: \(error.localizedDescription)") }
        recover()
    }

    // MARK: records

    private func metaPath(_ ns: String, _ key: String) -> String { "\(root)/meta/\(ns)/\(SHA256.hex(Array(key.utf8))).json" }
    private func fs(_ id: Int) -> String { "\(root)/\(id)/fs" }

    public func stat(_ ns: String, _ key: String) -> SnapshotInfo? {
        guard let data = FileManager.default.contents(atPath: metaPath(ns, key)) else { return nil }
        return try? JSONDecoder().decode(SnapshotInfo.self, from: data)
    }

    public func list(_ ns: String) -> [SnapshotInfo] {
        let dir = "\(root)/meta/\(ns)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { name in
            FileManager.default.contents(atPath: "\(dir)/\(name)").flatMap { try? JSONDecoder().decode(SnapshotInfo.self, from: $0) }
        }.sorted { $0.key < $1.key }
    }

    private func save(_ info: SnapshotInfo, _ ns: String) throws(CoreError) {
        let path = metaPath(ns, info.key)
        do {
            try FileManager.default.createDirectory(atPath: "\(root)/meta/\(ns)", withIntermediateDirectories: true)
            let data = try JSONEncoder().encode(info)
            let temporary = path + ".tmp"
            try data.write(to: URL(fileURLWithPath: temporary))
            let fd = open(temporary, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { fsync(fd); close(fd) }
            guard rename(temporary, path) == 0 else { throw CoreError(SystemCallFailure(call: "rename", path: path, errno: errno)) }
        } catch let error as CoreError { throw error } catch {
            throw CoreError(.internal, "snapshot record \(path): \(error.localizedDescription)")
        }
    }

    /// A fresh numeric id and its directory (`fs`, and `work` when active).
    private func makeDirectory(active: Bool) throws(CoreError) -> Int {
        let used = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init)
        let id = (used.max() ?? 0) + 1
        do {
            try FileManager.default.createDirectory(atPath: fs(id), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            if active { try FileManager.default.createDirectory(atPath: "\(root)/\(id)/work", withIntermediateDirectories: false) }
        } catch { throw CoreError(.internal, "mkdir snapshot \(id): \(error.localizedDescription)") }
        return id
    }

    /// Removes snapshot directories no record names (a crash between mkdir and the record) and
    /// those a removal had renamed away (a crash during the removal).
    private func recover() {
        var named: Set<Int> = []
        for ns in (try? FileManager.default.contentsOfDirectory(atPath: root + "/meta")) ?? [] {
            for info in list(ns) { named.insert(info.id) }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/meta/\(ns)")) ?? [] where name.hasSuffix(".tmp") {
                unlink("\(root)/meta/\(ns)/\(name)")
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            let orphan = Int(name).map { !named.contains($0) } ?? name.hasPrefix("removing-")
            if orphan { try? FileManager.default.removeItem(atPath: "\(root)/\(name)") }
        }
    }

    // MARK: snapshots

    /// Makes the committed snapshot `key` (child of `parent`) by letting `fill` write its `fs`
    /// directory — an image layer's extraction; nothing is visible unless `fill` succeeds.
    public func commitNew(_ ns: String, key: String, parent: String?, fill: (String) throws -> Void) throws {
        try lock.withLock {
            if let existing = stat(ns, key), existing.kind == .committed { return }
            if let parent { guard stat(ns, parent)?.kind == .committed else { throw CoreError(.notFound, "parent snapshot \(parent) is not committed") } }
            let id = try makeDirectory(active: false)
            do {
                try fill(fs(id))
                try save(SnapshotInfo(key: key, parent: parent, kind: .committed, id: id, created: Date().timeIntervalSince1970), ns)
            } catch {
                try? FileManager.default.removeItem(atPath: "\(root)/\(id)")
                throw error
            }
        }
    }

    /// A new active (writable) snapshot over `parent`; returns how to mount it.
    public func prepare(_ ns: String, key: String, parent: String?) throws(CoreError) -> [SnapshotMount] {
        lock.lock()
        defer { lock.unlock() }
        guard stat(ns, key) == nil else { throw CoreError(.alreadyExists, "snapshot \(key) already exists") }
        if let parent { guard stat(ns, parent)?.kind == .committed else { throw CoreError(.notFound, "parent snapshot \(parent) is not committed") } }
        let id = try makeDirectory(active: true)
        do {
            try save(SnapshotInfo(key: key, parent: parent, kind: .active, id: id, created: Date().timeIntervalSince1970), ns)
        } catch {
            try? FileManager.default.removeItem(atPath: "\(root)/\(id)")
            throw error
        }
        return try mounts(ns, key: key)
    }

    /// How to mount `key`: an overlay of its chain, or a bind mount of a snapshot without parents.
    public func mounts(_ ns: String, key: String) throws(CoreError) -> [SnapshotMount] {
        guard let info = stat(ns, key) else { throw CoreError(.notFound, "no snapshot \(key) in namespace \(ns)") }
        var lowers: [String] = []
        var next = info.parent
        while let parent = next, let parentInfo = stat(ns, parent) {
            lowers.append(fs(parentInfo.id))
            next = parentInfo.parent
        }
        if info.kind == .active, !lowers.isEmpty {
            return [SnapshotMount(type: "overlay", source: "overlay", options: [
                "index=off", "lowerdir=" + lowers.joined(separator: ":"), "upperdir=\(fs(info.id))", "workdir=\(root)/\(info.id)/work",
            ])]
        }
        return [SnapshotMount(type: "bind", source: fs(info.id), options: [info.kind == .active ? "rw" : "ro", "rbind"])]
    }

    /// Removes `key`; a snapshot others are built on is refused.
    public func remove(_ ns: String, key: String) throws(CoreError) {
        lock.lock()
        defer { lock.unlock() }
        guard let info = stat(ns, key) else { throw CoreError(.notFound, "no snapshot \(key) in namespace \(ns)") }
        if let child = list(ns).first(where: { $0.parent == key }) {
            throw CoreError(.failedPrecondition, "snapshot \(key) has a child (\(child.key)): remove that first")
        }
        discard(info, ns)
    }

    /// Removes every committed snapshot of `ns` that is not in `keep` and that no snapshot is
    /// built on, again and again (a removed layer may leave its parent without children), all
    /// under the lock so no prepare can pick a parent half-way. Active snapshots are never
    /// removed here: they are containers' rootfs, and they keep their whole chain. Returns the
    /// keys removed.
    public func prune(_ ns: String, keeping keep: Set<String>) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        var removed: [String] = []
        while true {
            let all = list(ns)
            let parents = Set(all.compactMap(\.parent))
            let doomed = all.filter { $0.kind == .committed && !keep.contains($0.key) && !parents.contains($0.key) }
            guard !doomed.isEmpty else { return removed }
            for info in doomed { discard(info, ns) }
            removed += doomed.map(\.key)
        }
    }

    /// The namespaces that have snapshot records.
    public func namespaces() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/meta")) ?? []).sorted()
    }

    /// Drops `info`'s record, then its directory. The record goes first and the directory is
    /// renamed before its removal: a crash mid-way leaves a directory no record names, which
    /// open removes.
    private func discard(_ info: SnapshotInfo, _ ns: String) {
        unlink(metaPath(ns, info.key))
        let doomed = "\(root)/removing-\(info.id)"
        if rename("\(root)/\(info.id)", doomed) == 0 { try? FileManager.default.removeItem(atPath: doomed) }
    }

    /// Bytes and inodes of `key`'s own directory (hard links counted once).
    public func usage(_ ns: String, key: String) throws(CoreError) -> (bytes: Int64, inodes: Int64) {
        guard let info = stat(ns, key) else { throw CoreError(.notFound, "no snapshot \(key) in namespace \(ns)") }
        var seen: Set<UInt64> = []
        var bytes: Int64 = 0
        guard let walker = FileManager.default.enumerator(atPath: fs(info.id)) else { return (0, 0) }
        for case let name as String in walker {
            var st = Glibc.stat()
            guard lstat(fs(info.id) + "/" + name, &st) == 0, seen.insert(UInt64(st.st_ino)).inserted else { continue }
            bytes += Int64(st.st_blocks) * 512
        }
        return (bytes, Int64(seen.count))
    }
}
