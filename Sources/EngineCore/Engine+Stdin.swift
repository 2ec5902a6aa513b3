// Engine+Stdin: a container's stdin (`-i`): a fifo at <exec-root>/containers/<id>/stdin that the
// shim reads, made and opened (read-write, so no open ever waits) when the container is created,
// so input an attached client sends before the start waits in the fifo; a client that ends its
// input closes the container's stdin when the container asked for stdin-once (`run -i`), as
// docker does — at once, or right after the start if the task does not exist yet.
import API
import Errdefs
import Foundation
import Glibc

extension Engine {
    func stdinPath(_ id: String) -> String { "\(config.execRoot)/containers/\(id)/stdin" }

    /// Makes the stdin fifo if needed and opens our end; returns its path for the task's Create.
    func prepareStdin(_ id: String) throws(CoreError) -> String {
        let path = stdinPath(id)
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw CoreError(.internal, "mkdir \(directory): \(error.localizedDescription)")
        }
        guard mkfifo(path, 0o600) == 0 || errno == EEXIST else {
            throw CoreError(SystemCallFailure(call: "mkfifo", path: path, errno: errno))
        }
        if stdinWriters[id] != nil { return path }
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
        stdinWriters[id] = fd
        return path
    }

    /// Writes an attached client's input to the container's stdin.
    func writeStdin(_ reference: String, _ bytes: [UInt8]) {
        guard let id = try? store.resolve(reference).inspect.id else { return }
        if stdinWriters[id] == nil {  // the engine restarted since the task was created
            let fd = open(stdinPath(id), O_RDWR | O_CLOEXEC)
            if fd >= 0 { stdinWriters[id] = fd }
        }
        guard let fd = stdinWriters[id] else { return }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// An attached client's input ended: with stdin-once the container's stdin is closed.
    func stdinEnded(_ reference: String) async {
        guard let stored = try? store.resolve(reference), stored.inspect.config.stdinOnce else { return }
        let id = stored.inspect.id
        guard isActive(stored) else {
            stdinClosePending.insert(id)
            return
        }
        _ = try? await link.run { try await $0.closeStdin(id) }
        releaseStdin(id)
    }

    /// After a start: a client's input that ended before it is closed now.
    func closePendingStdin(_ id: String) async {
        guard stdinClosePending.remove(id) != nil else { return }
        _ = try? await link.run { try await $0.closeStdin(id) }
        releaseStdin(id)
    }

    func releaseStdin(_ id: String) {
        if let fd = stdinWriters.removeValue(forKey: id) { close(fd) }
    }

    func resizeTask(_ reference: String, _ size: Engine_ConsoleSize) async {
        guard let id = try? store.resolve(reference).inspect.id, size.width > 0 else { return }
        _ = try? await link.run { try await $0.resize(id, width: size.width, height: size.height) }
    }
}
