// Linux+Resolve: opening a path confined to a directory (openat2 with RESOLVE_IN_ROOT, Linux
// >= 5.6) — the path is resolved as if the directory were "/": absolute symlinks restart at it,
// ".." stops at it, magic links (/proc/PID/root and the like) are refused — and the type of the
// filesystem a descriptor is on. The engine's cp and export use them inside a container's root.
import CLinux
import Errdefs
import Glibc

extension Linux {
    /// O_PATH (GNU-only, absent from Swift's Glibc): a descriptor that names a file without opening it.
    public static let openPathOnly: Int32 = O_PATH

    /// Opens `path` under `root` as if `root` were "/" (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    /// O_CLOEXEC is added. `noSymlinks` refuses any symlink on the way (RESOLVE_NO_SYMLINKS).
    /// EAGAIN (a rename raced the lookup) and EINTR are retried; other failures name `path`.
    public static func openInRoot(_ root: Int32, _ path: String, flags: Int32, mode: mode_t = 0,
                                  noSymlinks: Bool = false) throws(CoreError) -> FileDescriptor {
        var resolve = BERTH_RESOLVE_IN_ROOT | BERTH_RESOLVE_NO_MAGICLINKS
        if noSymlinks { resolve |= BERTH_RESOLVE_NO_SYMLINKS }
        var attempts = 0
        while true {
            let fd = berth_openat2(root, path.isEmpty ? "." : path, flags | O_CLOEXEC, UInt32(mode), resolve)
            if fd >= 0 { return FileDescriptor(adopting: fd) }
            let code = errno
            attempts += 1
            if (code == EAGAIN || code == EINTR) && attempts < 64 { continue }
            throw CoreError(SystemCallFailure(call: "openat2(RESOLVE_IN_ROOT)", path: path, errno: code))
        }
    }

    /// The magic number of the filesystem `fd` is on (fstatfs's f_type), e.g. 0x9fa0 for proc.
    public static func filesystemType(fd: Int32) throws(CoreError) -> Int {
        let type = berth_fstatfs_type(fd)
        guard type != -1 else { throw CoreError(SystemCallFailure(call: "fstatfs", path: "/proc/self/fd/\(fd)", errno: errno)) }
        return type
    }
}
