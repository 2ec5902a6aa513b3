// ConfinedExtractor: extracts tar entries beneath a directory descriptor, confined to it whatever
// the archive says — names are cleaned (a leading "/" dropped, "." skipped), a ".." component is
// refused, and every parent is opened component by component with O_NOFOLLOW, so nothing is ever
// written through a symlink, even one the same archive made or one a running container swaps in
// meanwhile (each call on the final name is one that does not follow it). Used for image layers
// (LayerApplier: owners from the archive, overlay whiteouts) and for `cp` into a container or
// onto the host (owners fixed or left alone, docker's refusal to replace a directory with a
// non-directory or the reverse, the first name renamed to the destination's).
import Archive
import Errdefs
import Glibc
import Sys

public struct ExtractionOptions: Sendable {
    public enum Owner: Sendable, Equatable {
        /// The uid and gid in the archive (image layers).
        case archive
        /// Everything owned by this uid and gid (docker cp into a container: its root).
        case fixed(uid: UInt32, gid: UInt32)
        /// No chown: files belong to whoever extracts (docker cp onto the host).
        case caller
    }

    public var owner: Owner = .archive
    /// `.wh.NAME` and `.wh..wh..opq` become overlayfs whiteouts (image layers only).
    public var whiteouts = false
    /// Whether an entry may replace a directory with a non-directory or the reverse.
    public var replaceDirectories = true
    /// The first component of every name, renamed (docker cp to a new name): from "." prefixes.
    public var rename: (from: String, to: String)?
    /// Whether character and block devices are made; if not they are skipped (cp onto the host:
    /// a container could otherwise hand the host a node for its disk).
    public var devices = true
    /// Whether entries may go into proc, sysfs and the like (a running container's mounts are
    /// reachable from its root: cp must not write through them).
    public var kernelFilesystems = true
    /// What is extracted, in errors ("layer", "archive").
    public var scope = "layer"

    public init() {}
}

public final class ConfinedExtractor {
    private let root: Int32
    private let options: ExtractionOptions
    private var directoryTimes: [(components: [String], time: Int)] = []

    /// Extracts beneath `root` (not owned; kept open by the caller until `finish`).
    public init(root: Int32, options: ExtractionOptions) {
        self.root = root
        self.options = options
    }

    /// Every entry of `tar`, then `finish`.
    public func extractAll(_ tar: TarReader) throws(CoreError) {
        while let entry = try tar.next() { try extract(entry, from: tar) }
        finish()
    }

    /// One entry (its data, for a file, read from `tar`).
    public func extract(_ entry: TarEntry, from tar: TarReader) throws(CoreError) {
        let components = renamed(try clean(entry.path))
        guard let name = components.last else { return }  // "." itself
        let parent = try openParent(components, path: entry.path)
        defer { close(parent) }
        if options.whiteouts, name == ".wh..wh..opq" {
            try Linux.setExtendedAttribute(fd: parent, name: "trusted.overlay.opaque", value: Array("y".utf8), path: entry.path)
            return
        }
        if options.whiteouts, name.hasPrefix(".wh.") {
            let hidden = String(name.dropFirst(4))
            guard !hidden.isEmpty, hidden != ".", hidden != ".." else {
                throw CoreError(.invalidArgument, "\(options.scope) entry \(entry.path) is a whiteout of nothing")
            }
            Self.removeExisting(parent, hidden)
            try check(mknodat(parent, hidden, S_IFCHR | 0, 0), "mknodat(whiteout)", entry.path)
            return
        }
        if !options.devices && (entry.kind == .characterDevice || entry.kind == .blockDevice) { return }
        try make(entry, name: name, in: parent, tar: tar)
        if entry.kind == .directory { directoryTimes.append((components, entry.modificationTime)) }
    }

    /// Sets directories' times last: creating their children changed them.
    public func finish() {
        for (components, time) in directoryTimes {
            if let parent = try? openParent(components, path: components.joined(separator: "/"), create: false) {
                Self.setTime(parent, components.last!, time)
                close(parent)
            }
        }
        directoryTimes = []
    }

    /// The components of an entry's name, relative; ".." anywhere is refused.
    func clean(_ path: String) throws(CoreError) -> [String] {
        let components = path.split(separator: "/").map(String.init).filter { $0 != "." && !$0.isEmpty }
        guard !components.contains("..") else {
            throw CoreError(.invalidArgument, "\(options.scope) entry \(path) leaves the \(options.scope) (\"..\"): refused")
        }
        return components
    }

    private func renamed(_ components: [String]) -> [String] {
        guard let (from, to) = options.rename else { return components }
        if from == "." || from.isEmpty { return [to] + components }
        guard components.first == from else { return components }
        return [to] + components.dropFirst()
    }

    /// The directory that will hold the last component, opened without following any symlink;
    /// missing directories are made (0755).
    func openParent(_ components: [String], path: String, create: Bool = true) throws(CoreError) -> Int32 {
        var fd = dup(root)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "dup", path: path, errno: errno)) }
        for component in components.dropLast() {
            var next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(fd, component, 0o755) == 0 { try? chown(fd, component, path: path) }
                next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard next >= 0 else {
                let code = errno
                close(fd)
                if code == ELOOP || code == ENOTDIR {
                    throw CoreError(.invalidArgument, "\(options.scope) entry \(path) goes through \(component), which is not a directory (a symlink?): refused",
                                    cause: SystemCallFailure(call: "openat", path: path, errno: code))
                }
                throw CoreError(SystemCallFailure(call: "openat", path: path, errno: code))
            }
            close(fd)
            fd = next
            if !options.kernelFilesystems && TreeArchiver.isPseudoFilesystem(fd) {
                close(fd)
                throw CoreError(.permissionDenied, "\(options.scope) entry \(path) goes into \(component), a kernel filesystem: refused")
            }
        }
        return fd
    }

    private func make(_ entry: TarEntry, name: String, in parent: Int32, tar: TarReader) throws(CoreError) {
        var existing = stat()
        let exists = fstatat(parent, name, &existing, AT_SYMLINK_NOFOLLOW) == 0
        let existingIsDirectory = exists && existing.st_mode & S_IFMT == S_IFDIR
        if exists && !options.replaceDirectories && existingIsDirectory != (entry.kind == .directory) {
            throw CoreError(.failedPrecondition, existingIsDirectory
                ? "cannot overwrite directory \"\(entry.path)\" with non-directory"
                : "cannot overwrite non-directory \"\(entry.path)\" with directory")
        }
        if existingIsDirectory && !options.kernelFilesystems {
            let directory = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            defer { if directory >= 0 { close(directory) } }
            if directory >= 0 && TreeArchiver.isPseudoFilesystem(directory) {
                throw CoreError(.permissionDenied, "\(options.scope) entry \(entry.path) is a kernel filesystem: refused")
            }
        }
        if exists && !(entry.kind == .directory && existingIsDirectory) { Self.removeExisting(parent, name) }
        switch entry.kind {
        case .directory:
            if !existingIsDirectory { try check(mkdirat(parent, name, 0o700), "mkdirat", entry.path) }
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
            let target = renamed(try clean(entry.linkTarget))
            guard let targetName = target.last else { throw CoreError(.invalidArgument, "\(options.scope) entry \(entry.path) links to nothing") }
            let targetParent = (try? openParent(target, path: entry.linkTarget, create: false)) ?? -1
            defer { if targetParent >= 0 { close(targetParent) } }
            var info = stat()
            guard targetParent >= 0, fstatat(targetParent, targetName, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFREG else {
                throw CoreError(.invalidArgument, "\(options.scope) entry \(entry.path) is a hard link to \(entry.linkTarget), which is not a file of this \(options.scope): refused")
            }
            try check(linkat(targetParent, targetName, parent, name, 0), "linkat", entry.path)
            return  // the link shares its target's owner, mode and times
        case .characterDevice, .blockDevice, .fifo:
            let type: mode_t = entry.kind == .fifo ? S_IFIFO : entry.kind == .characterDevice ? S_IFCHR : S_IFBLK
            let device = Self.makeDevice(entry.deviceMajor, entry.deviceMinor)
            try check(mknodat(parent, name, type | 0o600, device), "mknodat", entry.path)
        case .other(let type):
            throw CoreError(.invalidArgument, "\(options.scope) entry \(entry.path) has unsupported type \(Character(Unicode.Scalar(type)))")
        }
        try chown(parent, name, uid: entry.uid, gid: entry.gid, path: entry.path)
        if entry.kind != .symbolicLink {
            // AT_SYMLINK_NOFOLLOW: a symlink swapped in since the entry was made is not followed
            // (glibc does it through an O_PATH descriptor).
            try check(fchmodat(parent, name, mode_t(entry.mode & 0o7777), AT_SYMLINK_NOFOLLOW), "fchmodat", entry.path)
        }
        for (key, value) in entry.xattrs {
            // Through the parent's descriptor, so the path cannot be redirected; best effort, as
            // tar does (a filesystem may refuse a namespace).
            try? Linux.setExtendedAttribute(path: "/proc/self/fd/\(parent)/\(name)", name: key, value: value)
        }
        if entry.kind != .directory { Self.setTime(parent, name, entry.modificationTime) }
    }

    /// Gives `name` its owner by the options: the entry's, a fixed one, or none.
    private func chown(_ parent: Int32, _ name: String, uid: Int = 0, gid: Int = 0, path: String) throws(CoreError) {
        let owner: (uid_t, gid_t)
        switch options.owner {
        case .archive: owner = (uid_t(truncatingIfNeeded: uid), gid_t(truncatingIfNeeded: gid))
        case .fixed(let fixedUID, let fixedGID): owner = (fixedUID, fixedGID)
        case .caller: return
        }
        try check(fchownat(parent, name, owner.0, owner.1, AT_SYMLINK_NOFOLLOW), "fchownat", path)
    }

    static func setTime(_ parent: Int32, _ name: String, _ seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        _ = utimensat(parent, name, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// Removes whatever is at `name` in `parent` (recursively for a directory).
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

    private func check(_ result: Int32, _ call: String, _ path: String) throws(CoreError) {
        guard result == 0 else { throw CoreError(SystemCallFailure(call: call, path: path, errno: errno)) }
    }
}
