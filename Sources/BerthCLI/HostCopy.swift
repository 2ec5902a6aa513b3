// HostCopy: the local half of `berth cp` — the files named on this machine archived (a symlink
// copied as itself unless -L; SRC/. as its contents) and an archive from a container extracted
// by docker's rules (CopyDestination), beneath its destination directory only, whatever names or
// links the archive holds; files belong to the user running berth, as with docker's CLI, and
// device nodes are not made (a container could otherwise hand the host a node for its disk).
import Archive
import Errdefs
import Foundation
import Glibc
import Images

enum HostCopy {
    /// `path` made absolute against the working directory, its trailing "/" or "/." kept.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Archives the local `source` as docker's CLI does before sending it to a container.
    static func archive(_ source: String, followLink: Bool, to out: OutboundChunks) throws(CoreError) {
        let writer = TarEntryWriter { (bytes: [UInt8]) throws(CoreError) in try out.write(bytes) }
        let archiver = TreeArchiver(writer: writer)
        let path = absolute(source)
        let parts = CopyDestination.components(path)
        if parts.isEmpty || path.hasSuffix("/.") || path.hasSuffix("/") {
            let directory = try open(CopyDestination.join(parts), O_RDONLY | O_DIRECTORY)
            defer { close(directory) }
            let contents = parts.isEmpty || path.hasSuffix("/.")
            let name = contents ? "." : parts[parts.count - 1]
            try archiver.addDirectory(directory, as: name, prefix: contents ? "./" : name + "/")
        } else {
            var name = parts[parts.count - 1]
            var parent = CopyDestination.join(Array(parts.dropLast()))
            if followLink, let resolved = realpath(path, nil) {
                let target = CopyDestination.components(String(cString: resolved))
                free(resolved)
                if let last = target.last {
                    parent = CopyDestination.join(Array(target.dropLast()))
                    name = last
                }
            }
            let directory = try open(parent, O_RDONLY | O_DIRECTORY)
            defer { close(directory) }
            var info = stat()
            guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw CoreError(SystemCallFailure(call: "lstat", path: path, errno: errno))
            }
            try archiver.add(parent: directory, name: name, as: parts[parts.count - 1])
        }
        try writer.finish()
    }

    /// Extracts a container's archive at the local `destination`.
    static func extract(to destination: String, from input: ByteSource) throws(CoreError) {
        let tar = TarReader(input)
        guard let first = try tar.next() else { return }
        let source = try CopySource(first: first)
        var path = absolute(destination)
        let target = CopyDestination.followingLinks(path) { link in
            var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = buffer.withUnsafeMutableBytes { readlink(link, $0.baseAddress!, $0.count) }
            return length < 0 ? nil : String(decoding: buffer[0..<length], as: UTF8.self)
        }
        if target != CopyDestination.join(CopyDestination.components(path)) { path = target }
        var info = stat()
        let exists = stat(path, &info) == 0
        if !exists && errno != ENOENT { throw CoreError(SystemCallFailure(call: "stat", path: destination, errno: errno)) }
        let plan = try CopyDestination.plan(source, destination: path, exists: exists, isDirectory: info.st_mode & S_IFMT == S_IFDIR)
        let directory = try open(plan.directory, O_RDONLY | O_DIRECTORY)
        defer { close(directory) }
        var options = ExtractionOptions()
        options.owner = .caller
        options.devices = false
        options.replaceDirectories = false
        options.rename = plan.rename
        options.scope = "archive"
        let extractor = ConfinedExtractor(root: directory, options: options)
        try extractor.extract(first, from: tar)
        while let entry = try tar.next() { try extractor.extract(entry, from: tar) }
        extractor.finish()
    }

    private static func open(_ path: String, _ flags: Int32) throws(CoreError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
        return fd
    }
}
