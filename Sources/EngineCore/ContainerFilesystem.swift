// ContainerFilesystem: reading and writing a container's files from the host, confined to its
// root. The root is a directory descriptor (ContainerRoot: /proc/PID/root of a running container,
// a private mount of a stopped one's snapshot); every path a user gives is resolved under it with
// openat2(RESOLVE_IN_ROOT), and everything below is walked or made by descriptor without ever
// following a symlink (TreeArchiver, ConfinedExtractor) — so a link the container planted, even
// `/etc -> /` swapped in while we work, never leads berth to a host file. The blocking work here
// runs on a thread of its own (Engine+Filesystem.swift); bytes move through ThreadBridge.
import Archive
import Errdefs
import Foundation
import Glibc
import Images
import Sys

/// A container's root directory, open for reading and writing.
final class ContainerRoot: Sendable {
    /// O_RDONLY | O_DIRECTORY on the container's "/".
    let directory: FileDescriptor
    /// A detached mount the directory lives on (stopped containers); gone when the last
    /// descriptor on it closes, so nothing is ever left mounted.
    let mount: FileDescriptor?
    /// Mount points inside the root other than "/" (running containers: /proc, /etc/hosts, …),
    /// as archive names ("proc", "etc/hosts"); export leaves their contents out.
    let mountPoints: Set<String>
    /// The container as the user named it, for messages.
    let name: String

    init(directory: FileDescriptor, mount: FileDescriptor?, mountPoints: Set<String>, name: String) {
        self.directory = directory
        self.mount = mount
        self.mountPoints = mountPoints
        self.name = name
    }

    /// The target of `path` if it is a symlink (its directory resolved in the root), else nil.
    func readLink(_ path: String) -> String? {
        let parts = CopyDestination.components(path)
        guard let name = parts.last, let parent = try? open(CopyDestination.join(Array(parts.dropLast())), flags: Linux.openPathOnly | O_DIRECTORY) else {
            return nil
        }
        return try? parent.withRawValue { (fd: Int32) throws(CoreError) in try TreeArchiver.readLink(fd, name, path) }
    }

    /// Opens `path` (absolute in the container) under the root, symlinks resolved in the root.
    func open(_ path: String, flags: Int32) throws(CoreError) -> FileDescriptor {
        do {
            return try directory.withRawValue { (root: Int32) throws(CoreError) in try Linux.openInRoot(root, path, flags: flags) }
        } catch where error.code == .notFound {
            throw CoreError(.notFound, "Could not find the file \(path) in container \(name)", cause: error.cause)
        }
    }
}

enum ContainerFilesystem {
    /// `berth cp CONTAINER:PATH -`: PATH as docker archives it — a file or directory under its
    /// own name (a final symlink not followed), or with a trailing "/." its contents as "./…".
    static func archive(_ requested: String, in root: ContainerRoot, to out: OutboundChunks) throws(CoreError) {
        let writer = TarEntryWriter { (bytes: [UInt8]) throws(CoreError) in try out.write(bytes) }
        let archiver = TreeArchiver(writer: writer)
        let path = requested.hasPrefix("/") ? requested : "/" + requested
        let parts = CopyDestination.components(path)
        if parts.isEmpty || path.hasSuffix("/.") {
            let directory = try root.open(CopyDestination.join(parts), flags: O_RDONLY | O_DIRECTORY)
            try directory.withRawValue { (fd: Int32) throws(CoreError) in try archiver.addDirectory(fd, as: ".", prefix: "./") }
        } else if path.hasSuffix("/") {
            let name = parts[parts.count - 1]
            let directory = try root.open(CopyDestination.join(parts), flags: O_RDONLY | O_DIRECTORY)
            try directory.withRawValue { (fd: Int32) throws(CoreError) in try archiver.addDirectory(fd, as: name, prefix: name + "/") }
        } else {
            let name = parts[parts.count - 1]
            let parent = try root.open(CopyDestination.join(Array(parts.dropLast())), flags: O_RDONLY | O_DIRECTORY)
            try parent.withRawValue { (fd: Int32) throws(CoreError) in
                var info = stat()
                guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                    let failure = SystemCallFailure(call: "fstatat", path: path, errno: errno)
                    if failure.errno == ENOENT { throw CoreError(.notFound, "Could not find the file \(path) in container \(root.name)", cause: failure) }
                    throw CoreError(failure)
                }
                try archiver.add(parent: fd, name: name, as: name)
            }
        }
        try writer.finish()
    }

    /// `berth export`: the whole filesystem, names relative ("bin/busybox"), mount points empty.
    static func export(_ root: ContainerRoot, to out: OutboundChunks) throws(CoreError) {
        let writer = TarEntryWriter { (bytes: [UInt8]) throws(CoreError) in try out.write(bytes) }
        let archiver = TreeArchiver(writer: writer)
        archiver.excluded = root.mountPoints
        try root.directory.withRawValue { (fd: Int32) throws(CoreError) in try archiver.addDirectory(fd, as: nil, prefix: "") }
        try writer.finish()
    }

    /// `berth cp - CONTAINER:PATH` (the CLI sends its files as an archive): extracted by docker's
    /// rules (CopyDestination), owned by the container's root, never over a directory with a
    /// non-directory or the reverse.
    static func extract(to destination: String, in root: ContainerRoot, from input: ByteSource) throws(CoreError) {
        let tar = TarReader(input)
        guard let first = try tar.next() else { return }
        let source = try CopySource(first: first)
        var path = destination.hasPrefix("/") ? destination : "/" + destination
        let target = CopyDestination.followingLinks(path) { root.readLink($0) }
        if target != CopyDestination.join(CopyDestination.components(path)) { path = target }
        var exists = false
        var isDirectory = false
        do throws(CoreError) {
            let found = try root.open(target, flags: Linux.openPathOnly)
            var info = stat()
            guard fstat(found.rawValue, &info) == 0 else { throw CoreError(SystemCallFailure(call: "fstat", path: target, errno: errno)) }
            exists = true
            isDirectory = info.st_mode & S_IFMT == S_IFDIR
            try found.close()
        } catch where error.code == .notFound {}
        let plan = try CopyDestination.plan(source, destination: path, exists: exists, isDirectory: isDirectory)
        let directory = try root.open(plan.directory, flags: O_RDONLY | O_DIRECTORY)
        if TreeArchiver.isPseudoFilesystem(directory.rawValue) {
            throw CoreError(.permissionDenied, "cannot copy into \(plan.directory) of container \(root.name): it is a kernel filesystem, not files")
        }
        var options = ExtractionOptions()
        options.owner = .fixed(uid: 0, gid: 0)
        options.replaceDirectories = false
        options.kernelFilesystems = false
        options.rename = plan.rename
        options.scope = "archive"
        try directory.withRawValue { (fd: Int32) throws(CoreError) in
            let extractor = ConfinedExtractor(root: fd, options: options)
            try extractor.extract(first, from: tar)
            while let entry = try tar.next() { try extractor.extract(entry, from: tar) }
            extractor.finish()
        }
    }

    /// The mount points of process `pid` other than its root, relative to that root.
    static func mountPoints(of pid: Int32) -> Set<String> {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/mountinfo")) ?? ""
        var points: Set<String> = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { continue }
            let point = unescape(String(fields[4]))
            let parts = CopyDestination.components(point)
            if !parts.isEmpty { points.insert(parts.joined(separator: "/")) }
        }
        return points
    }

    /// mountinfo's octal escapes ("\040" for a space).
    static func unescape(_ field: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
