// SocketPath: prepares the place a ttrpc server listens at. The socket goes inside a directory
// of mode 0700 owned by us and is itself made 0600, so only our user can connect; abstract
// sockets are never used (CVE-2020-15257: host-network containers could reach them).
#if canImport(Glibc)
import Glibc
#endif
import Errdefs

enum SocketPath {
    /// Longest path a sockaddr_un holds, including the terminating NUL.
    static let maxLength = 108

    /// Checks the path and makes its parent directory (mode 0700; created with parents as needed).
    static func prepareDirectory(for path: String) throws(CoreError) {
        guard path.hasPrefix("/") else {
            throw CoreError(.invalidArgument, "socket path \(path) must be absolute (abstract sockets are refused)")
        }
        guard path.utf8.count < maxLength else {
            throw CoreError(.invalidArgument, "socket path \(path) is longer than \(maxLength - 1) bytes")
        }
        let dir = parent(of: path)
        try makeDirectories(dir)
        var st = stat()
        guard lstat(dir, &st) == 0 else {
            throw CoreError(SystemCallFailure(call: "lstat", path: dir, errno: errno))
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw CoreError(.failedPrecondition, "\(dir) is not a directory")
        }
        guard st.st_uid == geteuid() else {
            throw CoreError(.permissionDenied, "socket directory \(dir) is owned by uid \(st.st_uid), not \(geteuid())")
        }
        if st.st_mode & 0o777 != 0o700, chmod(dir, 0o700) != 0 {
            throw CoreError(SystemCallFailure(call: "chmod", path: dir, errno: errno))
        }
    }

    /// Makes the bound socket file 0600.
    static func restrict(_ path: String) throws(CoreError) {
        guard chmod(path, 0o600) == 0 else {
            throw CoreError(SystemCallFailure(call: "chmod", path: path, errno: errno))
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    private static func makeDirectories(_ dir: String) throws(CoreError) {
        var st = stat()
        if stat(dir, &st) == 0 { return }
        let up = parent(of: dir)
        if up != dir { try makeDirectories(up) }
        if mkdir(dir, 0o700) != 0 && errno != EEXIST {
            throw CoreError(SystemCallFailure(call: "mkdir", path: dir, errno: errno))
        }
    }
}
