// AtomicFile: small state files that are either wholly old or wholly new after a crash — written
// to a temporary name in the same directory, fsync'd, renamed over the target, and the directory
// fsync'd so the rename itself is durable.
import Errdefs
import Glibc
import Sys

public enum AtomicFile {
    /// Replaces `path` with `bytes`, durably.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(CoreError) {
        let temporary = "\(directory(of: path))/.\(baseName(of: path)).tmp-\(getpid())"
        do throws(CoreError) {
            let file = try FileDescriptor.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
            try file.write(bytes)
            try file.withRawValue { (raw: Int32) throws(CoreError) in
                guard fsync(raw) == 0 else { throw CoreError(SystemCallFailure(call: "fsync", path: temporary, errno: errno)) }
            }
            try file.close()
            guard rename(temporary, path) == 0 else {
                throw CoreError(SystemCallFailure(call: "rename", path: path, errno: errno))
            }
        } catch {
            unlink(temporary)
            throw error
        }
        let dir = try FileDescriptor.open(directory(of: path), flags: O_RDONLY | O_DIRECTORY)
        try dir.withRawValue { (raw: Int32) throws(CoreError) in
            guard fsync(raw) == 0 else { throw CoreError(SystemCallFailure(call: "fsync", path: directory(of: path), errno: errno)) }
        }
    }

    /// The file's bytes, or nil if it does not exist.
    public static func read(_ path: String, limit: Int = 1 << 20) throws(CoreError) -> [UInt8]? {
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(path, flags: O_RDONLY)
        } catch where error.cause?.errno == ENOENT {
            return nil
        }
        return try file.readToEnd(limit: limit)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
