// Test helper: a directory under /tmp for fixture files and scripts, removed with everything in
// it when released.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import Sys
@testable import RuntimeCore

/// A directory under /tmp, removed with everything in it when released.
final class TemporaryDirectory {
    let path: String

    init(prefix: String = "berth-test") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkdtemp($0) != nil } ?? false
        }
        guard made else { throw CoreError(SystemCallFailure(call: "mkdtemp", errno: errno)) }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { Self.remove(path) }

    func makeDirectory(_ name: String) throws {
        guard mkdir("\(path)/\(name)", 0o755) == 0 else {
            throw CoreError(SystemCallFailure(call: "mkdir", path: name, errno: errno))
        }
    }

    func write(_ name: String, mode: mode_t, contents: String = "#!/bin/sh\n") throws {
        if mode & 0o111 != 0 { return try writeExecutable(name, mode: mode, contents: contents) }
        let fd = open("\(path)/\(name)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: name, errno: errno)) }
        defer { close(fd) }
        _ = contents.withCString { Glibc.write(fd, $0, strlen($0)) }
        fchmod(fd, mode)  // not subject to the umask
    }

    /// Writes a file that a test will execute, from a child process. Tests run in parallel and
    /// other tests fork all the time: a fork that copies our write descriptor (O_CLOEXEC only
    /// closes it at the child's execve) makes execve of this file fail with ETXTBSY. A descriptor
    /// opened only in a child can never be copied that way.
    private func writeExecutable(_ name: String, mode: mode_t, contents: String) throws {
        let target = "\(path)/\(name)"
        let octal = String(mode & 0o7777, radix: 8)
        var spawn = Spawn(executable: "/bin/sh",
                          arguments: ["-c", "printf '%s' \"$1\" > \"$0\" && chmod \(octal) \"$0\"", target, contents])
        spawn.workingDirectory = "/"
        let status = try Spawn.waitForExit(try spawn.start())
        guard status == .exited(0) else {
            throw CoreError(.internal, "writing \(target) through /bin/sh: \(status)")
        }
    }

    func read(_ name: String) throws -> String {
        guard let text = ProcFS.read("\(path)/\(name)") else {
            throw CoreError(SystemCallFailure(call: "open", path: name, errno: errno))
        }
        return text
    }

    private static func remove(_ path: String) {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                let child = "\(path)/\(name)"
                var info = stat()
                if lstat(child, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { remove(child) } else { unlink(child) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}
