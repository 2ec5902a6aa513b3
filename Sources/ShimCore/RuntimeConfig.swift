// RuntimeConfig: which OCI runtime the shim drives and with which --root — berth-runtime by
// default (next to the shim binary, else on PATH), or whatever Create's runc Options name in
// `binary_name`/`root`. It is saved in the bundle (`shim-runtime`) so `berth-shim delete` can
// clean up with the same runtime after the shim is gone.
import Errdefs
import Glibc
import Sys

public struct RuntimeConfig: Sendable, Equatable {
    public static let defaultBinary = "berth-runtime"
    public static let fileName = "shim-runtime"

    /// Absolute path of the runtime executable.
    public var binary: String
    /// Its `--root` (state directory).
    public var root: String
    /// Its `--log` file (JSON lines; read back to explain a failure).
    public var logPath: String

    public init(binary: String, root: String, logPath: String) {
        self.binary = binary
        self.root = root
        self.logPath = logPath
    }

    /// The default `--root` for a namespace: one state directory per namespace, so the same id in
    /// two namespaces cannot collide (as containerd's /run/containerd/runc/<ns>).
    public static func defaultRoot(namespace: String) -> String { "/run/berth/runtime/\(namespace)" }

    /// The configuration for a Create: `options` may name the binary and root.
    public static func resolve(options: RuncOptions?, namespace: String, bundle: String,
                               shimDirectory: String) throws(CoreError) -> RuntimeConfig {
        let name = options?.binaryName.isEmpty == false ? options!.binaryName : defaultBinary
        let root = options?.root.isEmpty == false ? options!.root : defaultRoot(namespace: namespace)
        return RuntimeConfig(binary: try locate(name, shimDirectory: shimDirectory), root: root,
                             logPath: "\(bundle)/log.json")
    }

    /// A path as given; a bare name next to the shim binary first, then on PATH.
    static func locate(_ name: String, shimDirectory: String) throws(CoreError) -> String {
        if name.contains("/") { return name }
        let sibling = "\(shimDirectory)/\(name)"
        if access(sibling, X_OK) == 0 { return sibling }
        return try Spawn(executable: name).resolvedExecutable()
    }

    /// `--root R --log L --log-format json` followed by `arguments`.
    public func commandLine(_ arguments: [String]) -> [String] {
        ["--root", root, "--log", logPath, "--log-format", "json"] + arguments
    }

    /// Saves the binary and root in `<bundle>/shim-runtime`.
    public func save(bundle: String) throws(CoreError) {
        try AtomicFile.write(Array("binary \(binary)\nroot \(root)\n".utf8), to: "\(bundle)/\(Self.fileName)")
    }

    /// The configuration saved in `bundle`, or nil if there is none.
    public static func load(bundle: String) throws(CoreError) -> RuntimeConfig? {
        guard let bytes = try AtomicFile.read("\(bundle)/\(fileName)") else { return nil }
        var binary: String?
        var root: String?
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("binary ") { binary = String(line.dropFirst("binary ".count)) }
            if line.hasPrefix("root ") { root = String(line.dropFirst("root ".count)) }
        }
        guard let binary, let root else { throw CoreError(.dataLoss, "\(bundle)/\(fileName) is malformed") }
        return RuntimeConfig(binary: binary, root: root, logPath: "\(bundle)/log.json")
    }
}
