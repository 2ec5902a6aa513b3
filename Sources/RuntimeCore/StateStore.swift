// StateStore: the runtime's --root directory (default /run/berth-runtime): one directory per
// container holding state.json and, until `start`, exec.fifo. Creating the directory is the lock
// that makes a duplicate id fail; state.json is replaced atomically (temp file, rename).
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import JSON

struct StateStore {
    let root: String

    /// runc's rule: letters, digits, `_ + - .`, and not `.` or `..`.
    static func validate(id: String) throws(CoreError) {
        let ok = !id.isEmpty && id != "." && id != ".." && id.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 43 || c == 45 || c == 46
        }
        guard ok else { throw CoreError(.invalidArgument, "invalid container id \"\(id)\": use letters, digits, _ + - . only") }
    }

    func directory(_ id: String) -> String { "\(root)/\(id)" }
    func fifoPath(_ id: String) -> String { "\(root)/\(id)/exec.fifo" }
    private func statePath(_ id: String) -> String { "\(root)/\(id)/state.json" }

    /// Makes the container's directory; fails with alreadyExists if the id is taken.
    func reserve(_ id: String) throws(CoreError) {
        try Self.validate(id: id)
        try makeRoot()
        if mkdir(directory(id), 0o711) != 0 {
            if errno == EEXIST { throw CoreError(.alreadyExists, "container with id \(id) already exists") }
            throw CoreError(SystemCallFailure(call: "mkdir", path: directory(id), errno: errno))
        }
    }

    private func makeRoot() throws(CoreError) {
        var path = ""
        for part in root.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o711) != 0 && errno != EEXIST {
                throw CoreError(SystemCallFailure(call: "mkdir", path: path, errno: errno))
            }
        }
    }

    func save(_ record: ContainerRecord) throws(CoreError) {
        let bytes: [UInt8]
        do { bytes = try JSONCodec.encode(record) } catch {
            throw CoreError(.internal, "encode state of \(record.id): \(error.description)")
        }
        let final = statePath(record.id)
        let temp = final + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: temp, errno: errno)) }
        // No fsync: the root is under /run, a tmpfs that a power loss empties anyway (runc does
        // not sync either); the rename alone keeps readers from ever seeing a partial file.
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else {
            throw CoreError(SystemCallFailure(call: "write", path: temp, errno: errno))
        }
        guard rename(temp, final) == 0 else { throw CoreError(SystemCallFailure(call: "rename", path: final, errno: errno)) }
    }

    func load(_ id: String) throws(CoreError) -> ContainerRecord {
        try Self.validate(id: id)
        guard let bytes = ProcFS.readBytes(statePath(id)) else {
            throw CoreError(.notFound, "container \(id) does not exist")
        }
        do { return try JSONCodec.decode(ContainerRecord.self, from: bytes) } catch {
            throw CoreError(.dataLoss, "state of container \(id) is unreadable: \(error.description)")
        }
    }

    /// Ids of every container with a state file, sorted.
    func ids() -> [String] {
        guard let dir = opendir(root) else { return [] }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            if access(statePath(name), F_OK) == 0 { out.append(name) }
        }
        return out.sorted()
    }

    /// Removes the container's directory and everything in it.
    func remove(_ id: String) {
        let dir = directory(id)
        for name in ["state.json", "state.json.tmp", "exec.fifo"] { unlink("\(dir)/\(name)") }
        rmdir(dir)
    }
}

/// RFC 3339 with nanoseconds in UTC, e.g. 2026-11-23T18:52:01.123456789Z.
func rfc3339Now() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    var tm = tm()
    var seconds = ts.tv_sec
    gmtime_r(&seconds, &tm)
    func pad(_ v: Int32, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    let nanos = String(ts.tv_nsec)
    return "\(tm.tm_year + 1900)-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))."
        + String(repeating: "0", count: 9 - nanos.count) + nanos + "Z"
}
