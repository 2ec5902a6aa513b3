// SecureJoin: resolve a path from config.json inside the container's rootfs as if the rootfs were
// "/", the algorithm of cyphar/filepath-securejoin's SecureJoin (used by runc for years).
//
// Why: mount destinations, device paths and /dev links come from the image and the config, and the
// image is untrusted. A plain `rootfs + "/" + dest` follows symlinks the image planted — `/etc ->
// /`, `run -> ../../../../host` — so a mount "inside" the container lands on the host. Walking one
// component at a time and expanding each symlink ourselves, with absolute links restarting at the
// rootfs and `..` clamped at it, keeps every step inside.
//
// Limit, stated honestly: the answer is a path string, checked at one instant. If a process that
// can write to the rootfs swaps a component for a symlink between this check and the mount(2)
// that uses the path, the mount follows the new link (runc's CVE-2021-30465 was exactly such a
// race between containers sharing a volume). runc now resolves with openat2(RESOLVE_IN_ROOT) and
// mounts through /proc/self/fd; berth's callers narrow the window (they create missing components
// with openat(O_NOFOLLOW) and check the result) but do not close it.
#if canImport(Glibc)
import Glibc
#endif

/// The most symlinks one resolution may expand (the kernel's own limit is 40 per lookup;
/// securejoin allows 255 in total).
let secureJoinMaxSymlinks = 255

/// Resolves `unsafePath` inside `root` as if `root` were "/", following symlinks: absolute link
/// targets restart at `root`, relative ones continue from the link's directory, `..` never climbs
/// above `root`, and components that do not exist are appended literally (as are all that follow).
///
/// - Parameters:
///   - root: an absolute host path without symlinks or `..` (the rootfs, already realpath'd).
///   - unsafePath: a path as the container sees it, absolute or not.
/// - Returns: an absolute, clean host path that is `root` or lies under it.
/// - Throws: ChildFailure(stage "securejoin") with ELOOP after `secureJoinMaxSymlinks` links,
///   EINVAL for a relative root or one with `..`, or the errno of a failed lstat/readlink other
///   than ENOENT/ENOTDIR.
func secureJoin(root: String, _ unsafePath: String) throws(ChildFailure) -> String {
    guard root.hasPrefix("/") else {
        throw ChildFailure(stage: "securejoin", path: root, errno: EINVAL, message: "root must be an absolute path")
    }
    let rootParts = root.split(separator: "/", omittingEmptySubsequences: true)
    if rootParts.contains("..") {
        throw ChildFailure(stage: "securejoin", path: root, errno: EINVAL, message: "root must not contain '..'")
    }
    // The root, cleaned of "//" and "." so that prefix checks and joins below are exact.
    let cleanRoot = "/" + rootParts.filter { $0 != "." }.joined(separator: "/")
    let prefix = cleanRoot == "/" ? "" : cleanRoot

    // `resolved` holds components already known not to be symlinks (or not to exist);
    // `pending` the components still to walk, in reverse so the next one is popped off the end.
    var resolved: [Substring] = []
    var pending: [Substring] = unsafePath.split(separator: "/", omittingEmptySubsequences: true).reversed()
    var linksWalked = 0

    while let part = pending.popLast() {
        if part == "." { continue }
        if part == ".." {
            // Lexical: `resolved` contains no symlinks, so its parent is its real parent.
            // At the root, ".." stays at the root, as it does for "/..".
            _ = resolved.popLast()
            continue
        }
        let hostPath = prefix + "/" + (resolved + [part]).joined(separator: "/")
        var info = stat()
        if lstat(hostPath, &info) != 0 {
            let code = errno
            // A missing component (or one under a non-directory) is taken literally; nothing
            // below it can be a symlink, so every later lstat fails the same way.
            guard code == ENOENT || code == ENOTDIR else {
                throw ChildFailure(stage: "securejoin", path: hostPath, errno: code, message: "lstat")
            }
            resolved.append(part)
            continue
        }
        guard info.st_mode & S_IFMT == S_IFLNK else {
            resolved.append(part)
            continue
        }

        linksWalked += 1
        if linksWalked > secureJoinMaxSymlinks {
            throw ChildFailure(stage: "securejoin", path: unsafePath, errno: ELOOP,
                               message: "more than \(secureJoinMaxSymlinks) symlinks resolving it under \(cleanRoot)")
        }
        let target = try readLink(hostPath)
        // The link's components come next, ahead of what was left of the path.
        pending.append(contentsOf: target.split(separator: "/", omittingEmptySubsequences: true).reversed())
        // An absolute target starts over at the root — the container's root, never the host's.
        if target.hasPrefix("/") { resolved.removeAll() }
    }
    return resolved.isEmpty ? cleanRoot : prefix + "/" + resolved.joined(separator: "/")
}

/// The target of the symlink at `path`, as raw text.
private func readLink(_ path: String) throws(ChildFailure) -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink(path, &buffer, buffer.count - 1)
    guard count >= 0 else {
        throw ChildFailure(stage: "securejoin", path: path, errno: errno, message: "readlink")
    }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
