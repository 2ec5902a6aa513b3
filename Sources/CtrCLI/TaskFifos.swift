// TaskFifos: the stdio fifos berth-ctr gives every task it creates (`run`, `tasks start`), kept
// as ctr keeps its own under /run/containerd/fifo: `<fifo dir>/<namespace>/<id>/stdin|stdout|
// stderr` (no stderr for a terminal), fifos 0600 in 0700 directories; the fifo dir is
// /run/berth/ctr-fifo (or $XDG_RUNTIME_DIR/berth/ctr-fifo for a user other than root) unless
// --fifo-dir says otherwise. The shim opens its own ends and holds them for the task's life, so
// the fifos outlive the berth-ctr that made them and `tasks attach` can open them again. Their
// paths are the stdio of the task's Create, which the supervisor keeps and Get answers: nothing
// else is recorded anywhere. `tasks delete` and `run --rm` remove them.
import API
import Errdefs
import Foundation
import Glibc

struct TaskFifos {
    static let names = ["stdin", "stdout", "stderr"]

    let namespace: String
    let id: String
    let directory: String
    let stdin: String
    let stdout: String
    /// Empty for a terminal: a pty has one output.
    let stderr: String
    /// The fifos `make` created (not found already there): what `discard` removes.
    private let made: [String]

    static var defaultDirectory: String {
        if getuid() != 0, let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            return runtime + "/berth/ctr-fifo"
        }
        return "/run/berth/ctr-fifo"
    }

    /// Makes (or finds, left by an earlier task of that id) the task's fifos under `root`.
    static func make(in root: String, namespace: String, id: String, terminal: Bool) throws(CoreError) -> TaskFifos {
        for name in [namespace, id] where name.isEmpty || name.contains("/") || name == "." || name == ".." {
            throw CoreError(.invalidArgument, "\"\(name)\" cannot name a fifo directory")
        }
        let directory = "\(root)/\(namespace)/\(id)"
        var made: [String] = []
        do {
            for name in terminal ? ["stdin", "stdout"] : names {
                if try makeFifo("\(directory)/\(name)", in: directory) { made.append("\(directory)/\(name)") }
            }
        } catch {
            for path in made { unlink(path) }
            throw error
        }
        return TaskFifos(namespace: namespace, id: id, directory: directory, stdin: "\(directory)/stdin",
                         stdout: "\(directory)/stdout", stderr: terminal ? "" : "\(directory)/stderr", made: made)
    }

    /// Makes the fifo `path` (and `directory` when missing); false when a fifo was there already
    /// (an earlier task's: with no open end, it holds no data).
    private static func makeFifo(_ path: String, in directory: String) throws(CoreError) -> Bool {
        // Another berth-ctr may remove an empty namespace directory between our mkdir and mkfifo.
        for _ in 0..<4 {
            if mkfifo(path, 0o600) == 0 { return true }
            let error = errno
            if error == EEXIST, isFifo(path) { return false }
            guard error == ENOENT else { throw CoreError(SystemCallFailure(call: "mkfifo", path: path, errno: error)) }
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw CoreError(.internal, "mkdir \(directory): \(error.localizedDescription)")
            }
        }
        throw CoreError(.unavailable, "mkfifo \(path): its directory keeps disappearing")
    }

    /// Runs `body` (the task's create and start) with read ends of the output fifos open here:
    /// a shim that opens its write ends blocking until there is a reader (containerd's runc shim)
    /// needs one, as ctr's own are while it creates a task. berth-shim keeps read ends of its own.
    func holdingReaders<T>(_ body: () async throws -> T) async throws -> T {
        let readers = [stdout, stderr].filter { !$0.isEmpty }.map { (path: String) -> Int32 in open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        defer { for fd in readers where fd >= 0 { close(fd) } }
        return try await body()
    }

    /// Removes what `make` created: the task was never made.
    func discard() {
        for path in made { unlink(path) }
        Self.removeDirectories(directory)
    }

    /// Removes these fifos and their directories (the task is deleted).
    func remove() { Self.remove(paths: [stdin, stdout, stderr], namespace: namespace, id: id) }

    /// Removes a deleted task's stdio if they are fifos laid out as `make` lays them out —
    /// `<anything>/<namespace>/<id>/stdin|stdout|stderr` — and nothing else: a task created by
    /// another client keeps whatever its paths name.
    static func remove(paths: [String], namespace: String, id: String) {
        var directories: Set<String> = []
        for path in paths where !path.isEmpty {
            let url = URL(fileURLWithPath: path)
            let directory = url.deletingLastPathComponent().path
            guard names.contains(url.lastPathComponent), directory.hasSuffix("/\(namespace)/\(id)"), isFifo(path) else { continue }
            unlink(path)
            directories.insert(directory)
        }
        for directory in directories { removeDirectories(directory) }
    }

    /// The task's directory and its namespace's, each only if empty.
    private static func removeDirectories(_ directory: String) {
        guard rmdir(directory) == 0 else { return }
        rmdir(URL(fileURLWithPath: directory).deletingLastPathComponent().path)
    }

    static func isFifo(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO
    }
}
