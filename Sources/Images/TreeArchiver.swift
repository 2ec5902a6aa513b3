// TreeArchiver: writes a directory tree to a tar stream from open directory descriptors, never
// from path strings: every child is looked at with fstatat/openat(O_NOFOLLOW) relative to its
// parent's descriptor, so a symlink is archived as a symlink and never followed, even one swapped
// in while the walk runs (the engine archives a running container's files). Files with several
// links become hard links to the first name; `security.capability` is kept (as docker does);
// sockets are skipped, as tar does. Directories on proc, sys, cgroup and similar filesystems are
// archived empty, and `excluded` names (a container's mount points, for export) are not entered.
import Archive
import Errdefs
import Glibc
import Sys

public final class TreeArchiver {
    private let writer: TarEntryWriter
    /// Archive names (as written, without a trailing "/") whose contents are left out: a directory
    /// is archived empty, anything else not at all.
    public var excluded: Set<String> = []
    private var links: [UInt64: [UInt64: String]] = [:]

    public init(writer: TarEntryWriter) {
        self.writer = writer
    }

    /// `name` in the directory `parent` (a symlink is not followed), archived as `archiveName`,
    /// and, for a directory, everything under it.
    public func add(parent: Int32, name: String, as archiveName: String) throws(CoreError) {
        var info = stat()
        guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw CoreError(SystemCallFailure(call: "fstatat", path: archiveName, errno: errno))
        }
        try add(parent: parent, name: name, info: info, as: archiveName)
    }

    /// The directory `directory` itself as `archiveName` (nil: no entry for it) and its contents,
    /// named `prefix` + child name ("" for a whole filesystem, "./" for docker's `DIR/.`).
    public func addDirectory(_ directory: Int32, as archiveName: String?, prefix: String) throws(CoreError) {
        var info = stat()
        guard fstat(directory, &info) == 0 else { throw CoreError(SystemCallFailure(call: "fstat", path: archiveName ?? "/", errno: errno)) }
        if let archiveName { try writer.append(entry(info, archiveName, kind: .directory)) }
        try addChildren(of: directory, prefix: prefix)
    }

    private func add(parent: Int32, name: String, info: stat, as archiveName: String) throws(CoreError) {
        let type = info.st_mode & S_IFMT
        let excludedHere = excluded.contains(archiveName)
        switch type {
        case S_IFDIR:
            try writer.append(entry(info, archiveName, kind: .directory))
            if excludedHere { return }
            let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { return }  // removed while we walked
                throw CoreError(SystemCallFailure(call: "openat", path: archiveName, errno: errno))
            }
            defer { close(fd) }
            if Self.isPseudoFilesystem(fd) { return }
            try addChildren(of: fd, prefix: archiveName + "/")
        case S_IFREG:
            if excludedHere { return }
            if info.st_nlink > 1, let first = links[UInt64(info.st_dev)]?[UInt64(info.st_ino)] {
                var link = entry(info, archiveName, kind: .hardLink)
                link.linkTarget = first
                try writer.append(link)
                return
            }
            let fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { return }
                throw CoreError(SystemCallFailure(call: "openat", path: archiveName, errno: errno))
            }
            defer { close(fd) }
            var opened = stat()
            // What was opened is what gets archived; something else swapped in is skipped.
            guard fstat(fd, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG else { return }
            var file = entry(opened, archiveName, kind: .file)
            file.size = Int(opened.st_size)
            file.xattrs = capability(parent, name)
            try writer.append(file, data: DescriptorSource(fd: fd, path: archiveName))
            if opened.st_nlink > 1 { links[UInt64(opened.st_dev), default: [:]][UInt64(opened.st_ino)] = archiveName }
        case S_IFLNK:
            if excludedHere { return }
            var link = entry(info, archiveName, kind: .symbolicLink)
            link.linkTarget = try Self.readLink(parent, name, archiveName)
            try writer.append(link)
        case S_IFCHR, S_IFBLK, S_IFIFO:
            if excludedHere { return }
            var device = entry(info, archiveName, kind: type == S_IFCHR ? .characterDevice : type == S_IFBLK ? .blockDevice : .fifo)
            let rdev = UInt64(info.st_rdev)
            device.deviceMajor = UInt32(truncatingIfNeeded: ((rdev >> 32) & 0xFFFF_F000) | ((rdev >> 8) & 0xFFF))
            device.deviceMinor = UInt32(truncatingIfNeeded: ((rdev >> 12) & 0xFFFF_FF00) | (rdev & 0xFF))
            try writer.append(device)
        default:
            return  // sockets
        }
    }

    private func addChildren(of directory: Int32, prefix: String) throws(CoreError) {
        for child in try Self.names(in: directory, path: prefix) {
            var info = stat()
            guard fstatat(directory, child, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { continue }
                throw CoreError(SystemCallFailure(call: "fstatat", path: prefix + child, errno: errno))
            }
            try add(parent: directory, name: child, info: info, as: prefix + child)
        }
    }

    private func entry(_ info: stat, _ name: String, kind: TarEntry.Kind) -> TarEntry {
        TarEntry(kind, path: name, mode: UInt32(info.st_mode & 0o7777), uid: Int(info.st_uid), gid: Int(info.st_gid),
                 modificationTime: Int(info.st_mtim.tv_sec))
    }

    /// `security.capability` of a file, read through its parent's descriptor (a final symlink is
    /// not followed). Best effort: a filesystem without xattrs has none.
    private func capability(_ parent: Int32, _ name: String) -> [String: [UInt8]] {
        guard let value = try? Linux.extendedAttribute(path: "/proc/self/fd/\(parent)/\(name)", name: "security.capability"),
              !value.isEmpty else { return [:] }
        return ["security.capability": value]
    }

    /// The names in a directory (not "." and ".."), sorted so the same tree gives the same archive.
    public static func names(in directory: Int32, path: String) throws(CoreError) -> [String] {
        let fd = dup(directory)
        guard fd >= 0, let stream = fdopendir(fd) else {
            let code = errno
            if fd >= 0 { close(fd) }
            throw CoreError(SystemCallFailure(call: "fdopendir", path: path, errno: code))
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func readLink(_ parent: Int32, _ name: String, _ path: String) throws(CoreError) -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = buffer.withUnsafeMutableBytes { readlinkat(parent, name, $0.baseAddress!, $0.count) }
        guard length >= 0 else { throw CoreError(SystemCallFailure(call: "readlinkat", path: path, errno: errno)) }
        return String(decoding: buffer[0..<length], as: UTF8.self)
    }

    /// proc, sysfs, cgroup, debugfs, tracefs, securityfs, bpf: kernel views, not files to copy.
    public static func isPseudoFilesystem(_ fd: Int32) -> Bool {
        guard let type = try? Linux.filesystemType(fd: fd) else { return false }
        let kernelViews: Set<Int> = [0x9fa0, 0x6265_6572, 0x6367_7270, 0x0027_e0eb, 0x6462_6720, 0x7472_6163, 0x7363_6673, 0xcafe_4a11]
        return kernelViews.contains(type)
    }
}

/// Reads an open file (not owned) through its descriptor.
final class DescriptorSource: ByteSource {
    private let fd: Int32
    private let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    func read(upTo count: Int) throws(CoreError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: min(count, 1 << 20))
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if got >= 0 { return Array(buffer[0..<got]) }
            if errno != EINTR { throw CoreError(SystemCallFailure(call: "read", path: path, errno: errno)) }
        }
    }
}
