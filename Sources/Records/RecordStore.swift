// RecordStore: crash-safe storage of protobuf records (the supervisor's and the engine's metadata),
// one protobuf file per record at `<root>/<kind>/<namespace>/<id>.pb`. A write goes to a
// temporary file that is fsynced, renamed over the record and followed by an fsync of the
// directory, so a SIGKILL or power loss leaves the old record or the new one, never a torn one;
// stray temporaries are removed on open. Chosen over SQLite for now: records are small, written
// rarely, read all at start-up, and a file per record needs no schema or extra dependency.
import Errdefs
import Foundation
import SwiftProtobuf
import Sys

public struct RecordStore: Sendable {
    public let directory: String

    public init(directory: String) throws(CoreError) {
        self.directory = directory
        try Self.makeDirectories(directory)
        removeTemporaries(in: directory)
    }

    private func path(_ namespace: String, _ id: String) -> String { "\(directory)/\(namespace)/\(id).pb" }

    public func read<M: Message>(_ type: M.Type, namespace: String, id: String) throws(CoreError) -> M? {
        guard let bytes = try Self.readFile(path(namespace, id)) else { return nil }
        do { return try M(serializedBytes: bytes) } catch {
            throw CoreError(.dataLoss, "record \(path(namespace, id)) is not a \(M.protoMessageName): \(error)")
        }
    }

    public func write<M: Message>(_ record: M, namespace: String, id: String) throws(CoreError) {
        try Self.makeDirectories("\(directory)/\(namespace)")
        let bytes: [UInt8]
        do { bytes = try record.serializedBytes() } catch { throw CoreError(.internal, "encode \(M.protoMessageName): \(error)") }
        try Self.writeDurably(bytes, to: path(namespace, id))
    }

    /// Removes a record; false if there was none.
    @discardableResult
    public func delete(namespace: String, id: String) throws(CoreError) -> Bool {
        let target = path(namespace, id)
        guard unlink(target) == 0 else {
            if errno == ENOENT { return false }
            throw CoreError(SystemCallFailure(call: "unlink", path: target, errno: errno))
        }
        Self.syncDirectory("\(directory)/\(namespace)")
        return true
    }

    /// The ids stored in `namespace`, sorted.
    public func ids(namespace: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(namespace)")) ?? []
        return names.filter { $0.hasSuffix(".pb") }.map { String($0.dropLast(3)) }.sorted()
    }

    /// Every record of `namespace`, sorted by id; unreadable ones are skipped and reported.
    public func all<M: Message>(_ type: M.Type, namespace: String) -> (records: [(String, M)], errors: [CoreError]) {
        var records: [(String, M)] = []
        var errors: [CoreError] = []
        for id in ids(namespace: namespace) {
            do {
                if let record = try read(type, namespace: namespace, id: id) { records.append((id, record)) }
            } catch {
                errors.append(error)
            }
        }
        return (records, errors)
    }

    /// The namespaces that have a directory here.
    public func namespaces() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    // MARK: files

    public static func makeDirectories(_ path: String) throws(CoreError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw CoreError(.internal, "mkdir \(path): \(error.localizedDescription)")
        }
    }

    public static func readFile(_ path: String) throws(CoreError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno))
        }
        let file = FileDescriptor(adopting: fd)
        do { return try file.readToEnd() } catch { throw error }
    }

    /// Temporary file, write, fsync, rename over `path`, fsync of the directory.
    public static func writeDurably(_ bytes: [UInt8], to path: String) throws(CoreError) {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: temporary, errno: errno)) }
        let file = FileDescriptor(adopting: fd)
        do throws(CoreError) {
            try file.write(bytes)
            guard file.withRawValue({ fsync($0) }) == 0 else {
                throw CoreError(SystemCallFailure(call: "fsync", path: temporary, errno: errno))
            }
            try file.close()
            guard rename(temporary, path) == 0 else {
                throw CoreError(SystemCallFailure(call: "rename", path: path, errno: errno))
            }
        } catch {
            unlink(temporary)
            throw error
        }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    private func removeTemporaries(in root: String) {
        for namespace in namespaces() {
            let dir = "\(root)/\(namespace)"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.contains(".tmp-") {
                unlink("\(dir)/\(name)")
            }
        }
    }
}
