// ContentStore: blobs addressed by their sha256 at `<root>/blobs/sha256/<hex>`. A blob is written
// to `<root>/ingest/` while its digest and size are computed, checked against what the caller
// expected, fsynced, and only then renamed into place — so a blob that is visible is complete
// and correct, and a crash leaves at most a stale ingest file, removed at the next open.
import Archive
import Digest
import Errdefs
import Foundation

public final class ContentStore: @unchecked Sendable {
    public let root: String
    private let lock = NSLock()

    public init(root: String) throws(CoreError) {
        self.root = root
        for dir in ["\(root)/blobs/sha256", "\(root)/ingest"] {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw CoreError(.internal, "mkdir \(dir): \(error.localizedDescription)")
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/ingest")) ?? [] {
            unlink("\(root)/ingest/\(name)")
        }
    }

    public func path(of digest: ContentDigest) -> String { "\(root)/blobs/sha256/\(digest.hex)" }

    public func contains(_ digest: ContentDigest) -> Bool { access(path(of: digest), F_OK) == 0 }

    /// Size of a stored blob, or nil.
    public func size(of digest: ContentDigest) -> Int? {
        var info = stat()
        return stat(path(of: digest), &info) == 0 ? Int(info.st_size) : nil
    }

    /// Writes what `source` yields as a blob; returns its digest and size. With `expected`, a
    /// blob whose digest (or size) differs is refused and nothing is stored.
    @discardableResult
    public func ingest(_ source: ByteSource, expected: ContentDigest? = nil, expectedSize: Int? = nil,
                       read count: Int? = nil) throws(CoreError) -> (digest: ContentDigest, size: Int) {
        let temporary = "\(root)/ingest/\(getpid())-\(UUID().uuidString)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: temporary, errno: errno)) }
        var closed = false
        defer {
            if !closed { close(fd) }
            unlink(temporary)
        }
        var hasher = SHA256()
        var size = 0
        while true {
            let chunk = try source.read(upTo: 1 << 20)
            if chunk.isEmpty { break }
            hasher.update(chunk)
            size += chunk.count
            if let expectedSize, size > expectedSize {
                throw CoreError(.dataLoss, "blob \(expected?.description ?? "") is larger than its descriptor's \(expectedSize) bytes")
            }
            var offset = 0
            while offset < chunk.count {
                let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress! + offset, chunk.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw CoreError(SystemCallFailure(call: "write", path: temporary, errno: errno))
                }
                offset += written
            }
        }
        let digest = try ContentDigest(hex: hasher.hexDigest())
        if let expected, expected != digest {
            throw CoreError(.dataLoss, "blob expected as \(expected) has digest \(digest): refused")
        }
        if let expectedSize, expectedSize != size {
            throw CoreError(.dataLoss, "blob \(digest) has \(size) bytes, its descriptor says \(expectedSize): refused")
        }
        guard fsync(fd) == 0 else { throw CoreError(SystemCallFailure(call: "fsync", path: temporary, errno: errno)) }
        close(fd)
        closed = true
        lock.lock()
        defer { lock.unlock() }
        if !contains(digest) && rename(temporary, path(of: digest)) != 0 {
            throw CoreError(SystemCallFailure(call: "rename", path: path(of: digest), errno: errno))
        }
        syncDirectory("\(root)/blobs/sha256")
        return (digest, size)
    }

    /// A stored blob's bytes (for manifests and configs), refused beyond `limit`.
    public func read(_ digest: ContentDigest, limit: Int = 16 << 20) throws(CoreError) -> [UInt8] {
        guard let size = size(of: digest) else { throw CoreError(.notFound, "content \(digest) is not in the store") }
        guard size <= limit else { throw CoreError(.resourceExhausted, "content \(digest) is \(size) bytes, over \(limit)") }
        let source = try FileSource(path: path(of: digest))
        return try source.readExactly(size, what: "blob \(digest)")
    }

    public func list() -> [ContentDigest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/blobs/sha256")) ?? []
        return names.compactMap { try? ContentDigest(hex: $0) }.sorted()
    }

    /// Removes every blob not in `keeping`; returns what was removed.
    @discardableResult
    public func garbageCollect(keeping: Set<ContentDigest>) -> [ContentDigest] {
        lock.withLock {
            let removed = list().filter { !keeping.contains($0) }
            for digest in removed { unlink(path(of: digest)) }
            if !removed.isEmpty { syncDirectory("\(root)/blobs/sha256") }
            return removed
        }
    }

    private func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
