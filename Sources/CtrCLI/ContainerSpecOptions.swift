// ContainerSpecOptions: the flags that shape a new container (`run`, `containers create`) and
// the record they make — runc's default spec with the command, environment, mounts, terminal
// and a cgroup under /<namespace>/<id>, the rootfs given as an absolute path (`--rootfs`, as
// ctr does), and the runtime by name.
import API
import ArgumentParser
import Errdefs
import Foundation
import OCI
import SwiftProtobuf

struct ContainerSpecOptions: ParsableArguments {
    @Flag(help: "Use the first argument as a root filesystem directory instead of an image.")
    var rootfs = false

    @Option(name: .long, help: "Environment variable K=V (repeatable).")
    var env: [String] = []

    @Option(name: .long, help: "Mount: type=bind,src=/host,dst=/path,options=rbind:ro (repeatable).")
    var mount: [String] = []

    @Option(help: "Runtime: io.containerd.berth.v1, io.containerd.runc.v2 or a shim's absolute path.")
    var runtime = "io.containerd.berth.v1"

    @Option(name: .customLong("runtime-binary"), help: "The OCI runtime the shim drives (runc Options binary_name).")
    var runtimeBinary: String?

    @Option(name: .customLong("runtime-root"), help: "The OCI runtime's state directory (runc Options root).")
    var runtimeRoot: String?

    @Flag(name: .customShort("t"), help: "Allocate a terminal.")
    var tty = false

    @Flag(name: .customLong("read-only"), help: "Mount the root filesystem read-only.")
    var readOnly = false

    @Option(help: "Working directory in the container.")
    var cwd = "/"

    @Argument(help: "Image reference, or a root filesystem directory with --rootfs.") var source: String
    @Argument(help: "Container id.") var id: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func validate() throws {
        if rootfs && !source.hasPrefix("/") { throw ValidationError("--rootfs needs an absolute path, got \(source)") }
    }

    /// The container record to create in `namespace`.
    func container(namespace: String) throws -> Supervisor_Container {
        var spec = Spec.defaultSpec(rootless: false)
        // From an image, the supervisor completes the spec with the image's config and mounts
        // the container's snapshot at the bundle's rootfs; a directory is used as it is.
        spec.root = Root(path: rootfs ? source : "rootfs", readonly: readOnly)
        spec.hostname = id
        var process = spec.process!
        process.terminal = tty
        process.args = command.isEmpty ? (rootfs ? ["sh"] : []) : command
        process.cwd = cwd
        let defaults = rootfs ? (process.env ?? []).filter { !$0.hasPrefix("TERM=") } : []
        process.env = defaults + (tty ? ["TERM=xterm"] : []) + env
        spec.process = process
        spec.linux?.cgroupsPath = "/\(namespace)/\(id)"
        for text in mount { spec.mounts = (spec.mounts ?? []) + [try Self.parseMount(text)] }
        var container = Supervisor_Container()
        container.id = id
        container.image = rootfs ? "" : source
        container.runtime.name = runtime
        if runtimeBinary != nil || runtimeRoot != nil {
            var options = Containerd_Runc_V1_Options()
            options.binaryName = runtimeBinary ?? ""
            options.root = runtimeRoot ?? ""
            container.runtime.options.typeURL = "containerd.runc.v1.Options"
            container.runtime.options.value = try options.serializedData()
        }
        container.spec = Google_Protobuf_Any(ociType: "Spec", json: try spec.encoded())
        return container
    }

    /// `type=bind,src=/a,dst=/b,options=rbind:ro` (ctr's --mount syntax).
    static func parseMount(_ text: String) throws -> OCI.Mount {
        var fields: [String: String] = [:]
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw ValidationError("--mount \(text): \(part) is not key=value") }
            fields[kv[0]] = kv[1]
        }
        guard let destination = fields["dst"] ?? fields["destination"], destination.hasPrefix("/") else {
            throw ValidationError("--mount \(text): dst=/absolute/path is required")
        }
        let type = fields["type"] ?? "bind"
        var options = fields["options"].map { $0.split(separator: ":").map(String.init) } ?? []
        if type == "bind" && !options.contains("bind") && !options.contains("rbind") { options.append("rbind") }
        return OCI.Mount(destination: destination, type: type, source: fields["src"] ?? fields["source"] ?? type, options: options)
    }
}
