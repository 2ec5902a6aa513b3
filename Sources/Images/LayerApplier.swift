// LayerApplier: extracts a layer tar (gzip'd or not) into a directory that becomes an overlayfs
// layer, confined to that directory whatever the archive says: names are cleaned (a leading "/"
// dropped, "." skipped), a ".." component is refused, and every parent is opened component by
// component with O_NOFOLLOW, so nothing is ever written through a symlink — even one the same
// archive made. Whiteouts become overlayfs's own: `.wh.NAME` a 0/0 character device NAME,
// `.wh..wh..opq` the `trusted.overlay.opaque` attribute on its directory. Owners, modes, times
// and pax xattrs are kept. Returns the diff id (sha256 of the uncompressed stream).
import Archive
import Digest
import Errdefs
import Glibc
import Sys

public enum LayerApplier {
    public static func apply(_ layer: ByteSource, to directory: String) throws(CoreError) -> ContentDigest {
        let hashing = HashingSource(try GzipSource.maybe(layer))
        let root = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard root >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: directory, errno: errno)) }
        defer { close(root) }
        let tar = TarReader(hashing)
        var directoryTimes: [(components: [String], time: Int)] = []
        while let entry = try tar.next() {
            let components = try clean(entry.path)
            guard let name = components.last else { continue }  // "." itself
            let parent = try openParent(root, components, path: entry.path)
            defer { close(parent) }
            if name == ".wh..wh..opq" {
                try Linux.setExtendedAttribute(fd: parent, name: "trusted.overlay.opaque", value: Array("y".utf8), path: entry.path)
                continue
            }
            if name.hasPrefix(".wh.") {
                let hidden = String(name.dropFirst(4))
                guard !hidden.isEmpty, hidden != ".", hidden != ".." else {
                    throw CoreError(.invalidArgument, "layer entry \(entry.path) is a whiteout of nothing")
                }
                removeExisting(parent, hidden)
                try check(mknodat(parent, hidden, S_IFCHR | 0, 0), "mknodat(whiteout)", entry.path)
                continue
            }
            try make(entry, name: name, in: parent, root: root, tar: tar)
            if entry.kind == .directory { directoryTimes.append((components, entry.modificationTime)) }
        }
        // Directory times last: creating their children changed them.
        for (components, time) in directoryTimes {
            if let parent = try? openParent(root, components, path: components.joined(separator: "/")) {
                setTime(parent, components.last!, time)
                close(parent)
            }
        }
        // The rest of the stream (tar's trailing blocks) belongs to the diff id too.
        while try !hashing.read(upTo: 1 << 16).isEmpty {}
        return try ContentDigest(hex: hashing.hasher.hexDigest())
    }

    /// The components of an entry's name, relative; ".." anywhere is refused.
    static func clean(_ path: String) throws(CoreError) -> [String] {
        let components = path.split(separator: "/").map(String.init).filter { $0 != "." && !$0.isEmpty }
        guard !components.contains("..") else {
            throw CoreError(.invalidArgument, "layer entry \(path) leaves the layer (\"..\"): refused")
        }
        return components
    }

    /// The directory that will hold the last component, opened without following any symlink;
    /// missing directories are made (0755).
    static func openParent(_ root: Int32, _ components: [String], path: String) throws(CoreError) -> Int32 {
        var fd = dup(root)
        for component in components.dropLast() {
            var next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT {
                _ = mkdirat(fd, component, 0o755)
                next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard next >= 0 else {
                let code = errno
                close(fd)
                if code == ELOOP || code == ENOTDIR {
                    throw CoreError(.invalidArgument, "layer entry \(path) goes through \(component), which is not a directory (a symlink?): refused")
                }
                throw CoreError(SystemCallFailure(call: "openat", path: path, errno: code))
            }
            close(fd)
            fd = next
        }
        return fd
    }

    private static func make(_ entry: TarEntry, name: String, in parent: Int32, root: Int32, tar: TarReader) throws(CoreError) {
        var existing = stat()
        let exists = fstatat(parent, name, &existing, AT_SYMLINK_NOFOLLOW) == 0
        if exists && !(entry.kind == .directory && existing.st_mode & S_IFMT == S_IFDIR) { removeExisting(parent, name) }
        switch entry.kind {
        case .directory:
            if !exists || existing.st_mode & S_IFMT != S_IFDIR {
                try check(mkdirat(parent, name, 0o700), "mkdirat", entry.path)
            }
        case .file:
            let fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "openat", path: entry.path, errno: errno)) }
            defer { close(fd) }
            while true {
                let chunk = try tar.readData(upTo: 1 << 20)
                if chunk.isEmpty { break }
                var offset = 0
                while offset < chunk.count {
                    let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress! + offset, chunk.count - offset) }
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw CoreError(SystemCallFailure(call: "write", path: entry.path, errno: errno))
                    }
                    offset += written
                }
            }
        case .symbolicLink:
            try check(symlinkat(entry.linkTarget, parent, name), "symlinkat", entry.path)
        case .hardLink:
            let target = try clean(entry.linkTarget)
            guard let targetName = target.last else { throw CoreError(.invalidArgument, "layer entry \(entry.path) links to nothing") }
            let targetParent = try openParent(root, target, path: entry.linkTarget)
            defer { close(targetParent) }
            var info = stat()
            guard fstatat(targetParent, targetName, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFREG else {
                throw CoreError(.invalidArgument, "layer entry \(entry.path) is a hard link to \(entry.linkTarget), which is not a file of this layer: refused")
            }
            try check(linkat(targetParent, targetName, parent, name, 0), "linkat", entry.path)
            return  // the link shares its target's owner, mode and times
        case .characterDevice, .blockDevice, .fifo:
            let type: mode_t = entry.kind == .fifo ? S_IFIFO : entry.kind == .characterDevice ? S_IFCHR : S_IFBLK
            let device = makeDevice(entry.deviceMajor, entry.deviceMinor)
            try check(mknodat(parent, name, type | 0o600, device), "mknodat", entry.path)
        case .other(let type):
            throw CoreError(.invalidArgument, "layer entry \(entry.path) has unsupported type \(Character(Unicode.Scalar(type)))")
        }
        try check(fchownat(parent, name, uid_t(entry.uid), gid_t(entry.gid), AT_SYMLINK_NOFOLLOW), "fchownat", entry.path)
        if entry.kind != .symbolicLink {
            try check(fchmodat(parent, name, mode_t(entry.mode & 0o7777), 0), "fchmodat", entry.path)
        }
        for (key, value) in entry.xattrs {
            // Through the parent's descriptor, so the path cannot be redirected; best effort, as
            // tar does (a filesystem may refuse a namespace).
            try? Linux.setExtendedAttribute(path: "/proc/self/fd/\(parent)/\(name)", name: key, value: value)
        }
        if entry.kind != .directory { setTime(parent, name, entry.modificationTime) }
    }

    private static func setTime(_ parent: Int32, _ name: String, _ seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        _ = utimensat(parent, name, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// Removes whatever is at `name` in this layer (recursively for a directory).
    static func removeExisting(_ parent: Int32, _ name: String) {
        if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return }
        let dir = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0, let stream = fdopendir(dir) else { return }
        var children: [String] = []
        while let entry = readdir(stream) {
            let child = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if child != "." && child != ".." { children.append(child) }
        }
        for child in children { removeExisting(dirfd(stream), child) }
        closedir(stream)
        _ = unlinkat(parent, name, AT_REMOVEDIR)
    }

    static func makeDevice(_ major: UInt32, _ minor: UInt32) -> dev_t {
        let major = UInt64(major), minor = UInt64(minor)
        return dev_t(((major & 0xFFFF_F000) << 32) | ((major & 0xFFF) << 8) | ((minor & 0xFFFF_FF00) << 12) | (minor & 0xFF))
    }

    private static func check(_ result: Int32, _ call: String, _ path: String) throws(CoreError) {
        guard result == 0 else { throw CoreError(SystemCallFailure(call: call, path: path, errno: errno)) }
    }
}

/// Passes bytes through while hashing them (a layer's diff id is the hash of its tar stream).
final class HashingSource: ByteSource {
    private let source: ByteSource
    var hasher = SHA256()
    init(_ source: ByteSource) { self.source = source }

    func read(upTo count: Int) throws(CoreError) -> [UInt8] {
        let chunk = try source.read(upTo: count)
        hasher.update(chunk)
        return chunk
    }
}
