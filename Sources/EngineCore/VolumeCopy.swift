// VolumeCopy: docker's copy-up of an empty volume — the image's content at the mount's path
// (files, directories, symlinks, fifos and device nodes, hard links kept, modes, owners and
// times) copied into the volume's data directory the first time a container uses it. Both sides
// are walked by descriptor: the source is opened under the container's root with
// RESOLVE_IN_ROOT, and below it every entry is opened with O_NOFOLLOW relative to its parent, so
// a symlink in the image is copied as a symlink and never leads the copy out of either tree.
import Errdefs
import Foundation
import Glibc
import Images
import Sys

struct VolumeCopy {
    /// Hard links already copied: source "device:inode" → the copy's path relative to the volume.
    private var links: [String: String] = [:]
    private let destinationRoot: Int32
    private let context: String

    private init(destinationRoot: Int32, context: String) {
        self.destinationRoot = destinationRoot
        self.context = context
    }

    /// Copies the directory at `path` (absolute in the container, resolved in `root`) into the
    /// volume data directory `data` if that directory is empty; a path the image lacks, or that is
    /// not a directory, copies nothing. Returns whether anything was copied.
    @discardableResult
    static func populate(data: String, from root: ContainerRoot, path: String) throws(CoreError) -> Bool {
        let source: FileDescriptor
        do {
            source = try root.open(path, flags: O_RDONLY | O_DIRECTORY)
        } catch where error.code == .notFound || error.cause?.errno == ENOTDIR {
            return false
        }
        let destination = try FileDescriptor.open(data, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        guard try names(in: destination.rawValue, path: data).isEmpty else { return false }
        if TreeArchiver.isPseudoFilesystem(source.rawValue) { return false }
        var copy = VolumeCopy(destinationRoot: destination.rawValue, context: path)
        try copy.copyChildren(from: source.rawValue, to: destination.rawValue, relative: "")
        // The volume's own directory takes the image directory's owner and mode, as docker's does.
        var info = stat()
        guard fstat(source.rawValue, &info) == 0 else { throw CoreError(SystemCallFailure(call: "fstat", path: path, errno: errno)) }
        fchown(destination.rawValue, info.st_uid, info.st_gid)
        fchmod(destination.rawValue, info.st_mode & 0o7777)
        return true
    }

    static func names(in directory: Int32, path: String) throws(CoreError) -> [String] {
        try TreeArchiver.names(in: directory, path: path)
    }

    private mutating func copyChildren(from source: Int32, to destination: Int32, relative: String) throws(CoreError) {
        for name in try Self.names(in: source, path: context + "/" + relative) {
            try copyEntry(name, from: source, to: destination, relative: relative.isEmpty ? name : relative + "/" + name)
        }
    }

    private func failure(_ call: String, _ relative: String) -> CoreError {
        CoreError(SystemCallFailure(call: call, path: context + "/" + relative, errno: errno), context: "copy into a volume")
    }

    private mutating func copyEntry(_ name: String, from source: Int32, to destination: Int32, relative: String) throws(CoreError) {
        var info = stat()
        guard fstatat(source, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw failure("fstatat", relative) }
        let type = info.st_mode & S_IFMT
        let key = "\(info.st_dev):\(info.st_ino)"
        if type != S_IFDIR, info.st_nlink > 1, let first = links[key] {
            guard linkat(destinationRoot, first, destination, name, 0) == 0 else { throw failure("linkat", relative) }
            return
        }
        switch type {
        case S_IFDIR:
            guard mkdirat(destination, name, 0o700) == 0 else { throw failure("mkdirat", relative) }
            let from = FileDescriptor(adopting: openat(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
            guard from.isOpen else { throw failure("openat", relative) }
            let to = FileDescriptor(adopting: openat(destination, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
            guard to.isOpen else { throw failure("openat", relative) }
            if !TreeArchiver.isPseudoFilesystem(from.rawValue) {
                try copyChildren(from: from.rawValue, to: to.rawValue, relative: relative)
            }
            try finish(to.rawValue, info, relative)
        case S_IFREG:
            let from = FileDescriptor(adopting: openat(source, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC))
            guard from.isOpen else { throw failure("openat", relative) }
            let to = FileDescriptor(adopting: openat(destination, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600))
            guard to.isOpen else { throw failure("openat", relative) }
            try copyBytes(from.rawValue, to.rawValue, relative)
            try finish(to.rawValue, info, relative)
        case S_IFLNK:
            let target = try TreeArchiver.readLink(source, name, context + "/" + relative)
            guard symlinkat(target, destination, name) == 0 else { throw failure("symlinkat", relative) }
            fchownat(destination, name, info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW)
            var times = [info.st_atim, info.st_mtim]
            utimensat(destination, name, &times, AT_SYMLINK_NOFOLLOW)
        case S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK:
            guard mknodat(destination, name, info.st_mode, info.st_rdev) == 0 else { throw failure("mknodat", relative) }
            fchownat(destination, name, info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW)
            fchmodat(destination, name, info.st_mode & 0o7777, 0)
        default:
            return
        }
        if type != S_IFDIR, info.st_nlink > 1 { links[key] = relative }
    }

    /// Owner, then mode (chown clears set-id bits), then times.
    private func finish(_ fd: Int32, _ info: stat, _ relative: String) throws(CoreError) {
        guard fchown(fd, info.st_uid, info.st_gid) == 0 else { throw failure("fchown", relative) }
        guard fchmod(fd, info.st_mode & 0o7777) == 0 else { throw failure("fchmod", relative) }
        var times = [info.st_atim, info.st_mtim]
        futimens(fd, &times)
    }

    private func copyBytes(_ from: Int32, _ to: Int32, _ relative: String) throws(CoreError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read", relative)
            }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { write(to, $0.baseAddress! + offset, count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", relative)
                }
                offset += written
            }
        }
    }
}
