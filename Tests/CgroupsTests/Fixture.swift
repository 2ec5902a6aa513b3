// Fixture: a throw-away directory tree standing in for /sys/fs/cgroup, with helpers to lay out
// control files, read what a manager wrote, and remove it all afterwards.
import Glibc
import Testing

/// A temporary directory tree; `remove()` deletes it (call it in a `defer`).
struct Fixture {
    /// The tree's root, e.g. /tmp/berth-cgroups-AbC123.
    let root: String

    /// Creates an empty temporary directory.
    init() throws {
        var template = Array("/tmp/berth-cgroups-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
        }
        guard let made else { throw FixtureError("mkdtemp failed: errno \(errno)") }
        root = made
    }

    /// Creates directory `relative` and its parents.
    func directory(_ relative: String) throws {
        var current = root
        for component in relative.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw FixtureError("mkdir \(current): errno \(errno)")
            }
        }
    }

    /// Writes `content` to file `relative` (creating its directory), replacing what was there.
    func file(_ relative: String, _ content: String = "") throws {
        if let slash = relative.lastIndex(of: "/") {
            try directory(String(relative[..<slash]))
        }
        let path = root + "/" + relative
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FixtureError("open \(path): errno \(errno)") }
        defer { close(fd) }
        let bytes = Array(content.utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw FixtureError("write \(path): errno \(errno)")
        }
    }

    /// Creates empty files `names` in directory `relative`.
    func files(in relative: String, _ names: [String]) throws {
        for name in names { try file(relative + "/" + name) }
    }

    /// The contents of file `relative`, or nil when it does not exist.
    func read(_ relative: String) -> String? {
        readFile(root + "/" + relative)
    }

    /// Whether `relative` exists.
    func exists(_ relative: String) -> Bool {
        access(root + "/" + relative, F_OK) == 0
    }

    /// `root` + "/" + `relative`.
    func path(_ relative: String) -> String { root + "/" + relative }

    /// Deletes the whole tree.
    func remove() { removeTree(root) }
}

/// A failure while laying out a fixture.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The contents of `path`, or nil when it cannot be read.
func readFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if got <= 0 { break }
        bytes += chunk[0..<got]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Removes `path` recursively (files and directories; symlinks are not followed).
func removeTree(_ path: String) {
    if let stream = opendir(path) {
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(child) } else { unlink(child) }
        }
        closedir(stream)
    }
    rmdir(path)
}
