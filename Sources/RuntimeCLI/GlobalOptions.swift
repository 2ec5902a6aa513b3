// GlobalOptions: runc's global flags, accepted before the verb (`berth-runtime --root R create …`),
// and GlobalSettings, their values as plain data — what both the argument parser and the hand-written
// fast path (FastPath.swift) produce, so both run the same code.
import ArgumentParser
import RuntimeCore

public struct GlobalOptions: ParsableArguments {
    @Option(help: "Root directory for storage of container state (tmpfs recommended).")
    public var root: String = GlobalSettings.defaultRoot

    @Option(help: "Also write errors to this file (the shim reads it).")
    public var log: String?

    @Option(name: .customLong("log-format"), help: "Format of --log: text or json.")
    public var logFormat: LogFormat = .text

    @Flag(help: "Enable debug output in the log.")
    public var debug = false

    @Flag(name: .customLong("systemd-cgroup"), help: "Use systemd to manage cgroups.")
    public var systemdCgroup = false

    public init() {}

    var settings: GlobalSettings {
        GlobalSettings(root: root, log: log, logFormat: logFormat, debug: debug, systemdCgroup: systemdCgroup)
    }
    var runtime: Runtime { settings.runtime }
    var logger: RuntimeLog { settings.logger }
}

/// The values of the global flags.
struct GlobalSettings: Equatable {
    static let defaultRoot = "/run/berth-runtime"

    var root = defaultRoot
    var log: String?
    var logFormat: LogFormat = .text
    var debug = false
    var systemdCgroup = false

    var runtime: Runtime { Runtime(root: root) }
    var logger: RuntimeLog { RuntimeLog(path: log, format: logFormat) }
}

public enum LogFormat: String, ExpressibleByArgument, Sendable {
    case text, json
}
