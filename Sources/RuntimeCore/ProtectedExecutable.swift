// ProtectedExecutable: the runtime's own binary, opened so that nothing in a container can write
// to it through /proc/<pid>/exe while a berth-runtime init runs in the container's namespaces
// (CVE-2019-5736: a container process opened the runtime's exe and overwrote the host binary).
//
// The init is exec'd from the descriptor returned here (as /proc/self/fd/N), so the init's
// executable — what /proc/<init>/exe opens — is a file on a private, detached, read-only overlay
// mount whose lower layers are the binary's directory and the state root. Opening it for writing
// fails with EROFS, and even a copy of that mount with the read-only flag cleared could not be
// written: an overlay without an upper layer has nowhere to write. Nothing is mounted in any
// namespace; the mount lives exactly as long as something executes from it. It costs three
// system calls, not a copy of the binary.
//
// Where the overlay cannot be made (no CAP_SYS_ADMIN, a kernel without the mount API, a path
// overlayfs options cannot spell), the binary is copied into a sealed memfd instead: a copy per
// container, the same guarantee (runc's approach).
import Errdefs
import Glibc
import Sys

public enum ProtectedExecutable {
    /// How the returned descriptor protects the binary.
    public enum Method: String, Sendable { case readOnlyOverlay, sealedCopy }

    /// Opens the running binary (/proc/self/exe) protected; `scratchDirectory` (an existing
    /// directory that neither contains nor lies within the binary's) is the overlay's second layer.
    public static func open(scratchDirectory: String) throws(CoreError) -> (FileDescriptor, Method) {
        let path = try currentExecutablePath()
        if let fd = try? openThroughReadOnlyOverlay(path: path, scratchDirectory: scratchDirectory) {
            return (fd, .readOnlyOverlay)
        }
        return (try sealedCopy(of: "/proc/self/exe"), .sealedCopy)
    }

    static func currentExecutablePath() throws(CoreError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else {
            throw CoreError(SystemCallFailure(call: "readlink", path: "/proc/self/exe", errno: errno))
        }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func openThroughReadOnlyOverlay(path: String, scratchDirectory: String) throws(CoreError) -> FileDescriptor {
        guard let slash = path.lastIndex(of: "/"), !path.hasSuffix(" (deleted)") else {
            throw CoreError(.failedPrecondition, "\(path): not a path overlayfs can use")
        }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        let name = String(path[path.index(after: slash)...])
        // overlayfs separates layers with ':' and options with ','; '\' escapes. Refuse rather than escape.
        let special: Set<Character> = [":", ",", "\\"]
        guard !directory.contains(where: special.contains), !scratchDirectory.contains(where: special.contains) else {
            throw CoreError(.failedPrecondition, "\(path): path holds a character overlayfs options reserve")
        }
        let mount = try Linux.detachedMount(type: "overlay", options: [("lowerdir", "\(directory):\(scratchDirectory)")],
                                            attributes: [.readOnly, .noDevices, .noSetuid])
        let fd = openat(mount.rawValue, name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "openat", path: name, errno: errno)) }
        return FileDescriptor(adopting: fd)
    }

    /// A sealed (no write, grow, shrink, or new seals) memfd copy of `path`.
    static func sealedCopy(of path: String) throws(CoreError) -> FileDescriptor {
        let source = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
        defer { Glibc.close(source) }
        let copy = try Linux.memfdCreate(name: "berth-runtime", allowSealing: true)
        while true {
            let sent = sendfile(copy.rawValue, source, nil, 1 << 30)
            if sent == 0 { break }
            if sent < 0 {
                if errno == EINTR { continue }
                throw CoreError(SystemCallFailure(call: "sendfile", path: path, errno: errno))
            }
        }
        let seals: Int32 = 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0010  // F_SEAL_SEAL, SHRINK, GROW, WRITE, FUTURE_WRITE
        guard fcntl(copy.rawValue, 1024 + 9 /* F_ADD_SEALS */, seals) == 0 else {
            throw CoreError(SystemCallFailure(call: "fcntl(F_ADD_SEALS)", path: path, errno: errno))
        }
        return copy
    }
}
