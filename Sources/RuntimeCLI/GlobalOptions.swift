// GlobalOptions: runc's global flags, accepted before the verb (`berth-runtime --root R create …`).
import ArgumentParser
import RuntimeCore

public struct GlobalOptions: ParsableArguments {
    @Option(help: "Root directory for storage of container state (tmpfs recommended).")
    public var root: String = "/run/berth-runtime"

    @Option(help: "Also write errors to this file (the shim reads it).")
    public var log: String?

    @Option(name: .customLong("log-format"), help: "Format of --log: text or json.")
    public var logFormat: LogFormat = .text

    @Flag(help: "Enable debug output in the log.")
    public var debug = false

    @Flag(name: .customLong("systemd-cgroup"), help: "Use systemd to manage cgroups.")
    public var systemdCgroup = false

    public init() {}

    var runtime: Runtime { Runtime(root: root) }
    var logger: RuntimeLog { RuntimeLog(path: log, format: logFormat) }
}

public enum LogFormat: String, ExpressibleByArgument, Sendable {
    case text, json
}
