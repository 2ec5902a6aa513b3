// Spec+Load: reading `<bundle>/config.json` and writing a config back out. The file is read with
// open/read and parsed by the JSON module: berth-runtime links no Foundation (static binary size
// and start-up; see docs/architecture.md, "Libraries").
import Errdefs
import JSON
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Spec {
    /// Largest config.json accepted; real ones with a full seccomp profile are well under 1 MiB.
    static let maxConfigSize = 16 << 20

    /// Reads and decodes `<bundle>/config.json`; call `validate()` before acting on it.
    ///
    /// A missing file is `.notFound`; malformed JSON or a field of the wrong type is
    /// `.invalidArgument` with the JSON path in the message.
    public static func load(bundle: String) throws(CoreError) -> Spec {
        try decode(from: readFile(configPath(bundle)))
    }

    /// `hooks` of `<bundle>/config.json`, nil if there are none. Only that part is decoded:
    /// `start` and `delete` need nothing else, and the whole spec costs many times more to
    /// decode than to parse. Errors as for `load`.
    public static func loadHooks(bundle: String) throws(CoreError) -> Hooks? {
        try loadMember("hooks", as: Hooks.self, bundle: bundle)
    }

    /// `process` of `<bundle>/config.json`, nil if absent (for `exec`, which builds on it).
    public static func loadProcess(bundle: String) throws(CoreError) -> Process? {
        try loadMember("process", as: Process.self, bundle: bundle)
    }

    /// One top-level member of config.json, decoded alone; nil if absent or null.
    private static func loadMember<T: Decodable>(_ key: String, as type: T.Type, bundle: String) throws(CoreError) -> T? {
        let bytes = try readFile(configPath(bundle))
        do throws(JSONError) {
            guard let member = try JSONParser.parse(bytes)[key], member != .null else { return nil }
            do throws(JSONError) { return try JSONCodec.decode(type, from: member) } catch { throw error.prefixed(by: [.key(key)]) }
        } catch {
            throw CoreError(.invalidArgument, "config.json: \(error.description)")
        }
    }

    /// `<bundle>/config.json`, without doubled slashes.
    static func configPath(_ bundle: String) -> String {
        var dir = bundle
        while dir.count > 1, dir.hasSuffix("/") { dir.removeLast() }
        return dir.isEmpty ? "config.json" : (dir == "/" ? "/config.json" : "\(dir)/config.json")
    }

    /// Decodes config.json bytes (from a file, stdin or a test).
    public static func decode(from bytes: [UInt8]) throws(CoreError) -> Spec {
        try JSONCoding.decode(Spec.self, from: bytes, file: "config.json")
    }

    /// Indented JSON with sorted keys, like `runc spec` writes.
    public func encodedPretty() throws(CoreError) -> [UInt8] {
        try JSONCoding.encode(self, pretty: true, what: "config.json")
    }

    /// Compact JSON with sorted keys, for passing a config between processes.
    public func encoded() throws(CoreError) -> [UInt8] {
        try JSONCoding.encode(self, pretty: false, what: "config.json")
    }

    /// The whole file at `path`, retrying EINTR; errors carry the failed call and errno.
    static func readFile(_ path: String) throws(CoreError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno), context: "config.json")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw CoreError(SystemCallFailure(call: "read", path: path, errno: errno), context: "config.json")
            }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maxConfigSize {
                throw CoreError(.invalidArgument, "config.json: \(path) is larger than \(maxConfigSize >> 20) MiB")
            }
        }
        return bytes
    }
}
