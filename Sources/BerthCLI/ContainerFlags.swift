// ContainerFlags: docker's `run`/`create` flags and the Create request they make — config
// (image, command, -e/--env-file, -l, -u, -w, --entrypoint, -t, -i, --hostname, --stop-signal,
// --stop-timeout) and host config (--rm, --restart, --privileged, --cap-add/--cap-drop,
// --security-opt, --read-only, -m, --cpus, --pids-limit, --log-driver/--log-opt) and the storage
// flags -v, --mount, --tmpfs, --volumes-from (MountFlags).
import API
import ArgumentParser
import Foundation

struct ContainerFlags: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Keep STDIN open even if not attached.") var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY.") var tty = false
    @Flag(help: "Automatically remove the container when it exits.") var rm = false
    @Option(help: "Assign a name to the container.") var name: String?
    @Option(name: .shortAndLong, help: "Set environment variables (KEY=value, or KEY to take it from here).") var env: [String] = []
    @Option(name: .customLong("env-file"), help: "Read in a file of environment variables.") var envFile: [String] = []
    @Option(name: .shortAndLong, help: "Set meta data on a container (key=value).") var label: [String] = []
    @Option(name: .customShort("h"), help: "Container host name.") var hostnameShort: String?
    @Option(name: .customLong("hostname"), help: "Container host name.") var hostname: String?
    @Option(name: .shortAndLong, help: "Username or UID (format: uid[:gid]).") var user: String?
    @Option(name: .shortAndLong, help: "Working directory inside the container.") var workdir: String?
    @Option(help: "Overwrite the default ENTRYPOINT of the image.") var entrypoint: String?
    @Option(help: "Restart policy: no, always, unless-stopped, on-failure[:max-retries].") var restart = "no"
    @Flag(help: "Give extended privileges to this container.") var privileged = false
    @Option(name: .customLong("cap-add"), help: "Add Linux capabilities.") var capAdd: [String] = []
    @Option(name: .customLong("cap-drop"), help: "Drop Linux capabilities.") var capDrop: [String] = []
    @Option(name: .customLong("security-opt"), help: "Security options: no-new-privileges, seccomp=unconfined, seccomp=builtin, seccomp=/abs/profile.json.") var securityOpt: [String] = []
    @Flag(name: .customLong("read-only"), help: "Mount the container's root filesystem as read only.") var readOnly = false
    @Option(name: .shortAndLong, help: "Memory limit (e.g. 512m, 1g).") var memory: String?
    @Option(help: "Number of CPUs (e.g. 1.5).") var cpus: String?
    @Option(name: .customLong("pids-limit"), help: "Tune container pids limit (-1 for unlimited).") var pidsLimit: Int64?
    @Option(name: .customLong("stop-signal"), help: "Signal to stop the container.") var stopSignal: String?
    @Option(name: .customLong("stop-timeout"), help: "Timeout (in seconds) to stop a container.") var stopTimeout: Int32?
    @Option(name: .customLong("log-driver"), help: "Logging driver: json-file (default), journald or none.") var logDriver: String?
    @Option(name: .customLong("log-opt"), help: "Log driver options (max-size=10m, max-file=3).") var logOpt: [String] = []
    @Option(help: "Ulimit options (name=soft[:hard], e.g. nofile=1024:2048).") var ulimit: [String] = []
    @OptionGroup var networkFlags: NetworkFlags
    @Option(name: .shortAndLong, help: "Bind mount a volume ([NAME|/HOST/PATH:]/PATH[:ro|rw,z,propagation,nocopy]).") var volume: [String] = []
    @Option(help: "Attach a filesystem mount (type=volume|bind|tmpfs,source=,target=,readonly,...).") var mount: [String] = []
    @Option(help: "Mount a tmpfs directory (/path[:options]).") var tmpfs: [String] = []
    @Option(name: .customLong("volumes-from"), help: "Mount volumes from the specified container(s) (NAME[:ro|rw]).") var volumesFrom: [String] = []

    @Argument(help: "The image.") var image: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String] = []

    func request() throws -> Engine_CreateContainerRequest {
        var request = Engine_CreateContainerRequest()
        request.name = name ?? ""
        var config = Engine_ContainerConfig()
        config.image = image
        config.cmd = command.first == "--" ? Array(command.dropFirst()) : command
        if let entrypoint, !entrypoint.isEmpty { config.entrypoint = [entrypoint] }
        config.env = try environment()
        for item in label {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            config.labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        config.tty = tty
        config.openStdin = interactive
        config.hostname = hostname ?? hostnameShort ?? ""
        config.user = user ?? ""
        config.workingDir = workdir ?? ""
        config.stopSignal = stopSignal ?? ""
        if let stopTimeout { config.stopTimeout = stopTimeout }
        request.config = config
        var host = Engine_HostConfig()
        host.autoRemove = rm
        let policy = restart.split(separator: ":", maxSplits: 1).map(String.init)
        host.restartPolicy.name = policy[0]
        if policy.count > 1 {
            guard let count = Int32(policy[1]) else { throw CLIError(message: "berth: invalid restart policy \(restart)", code: 125) }
            host.restartPolicy.maximumRetryCount = count
        }
        host.privileged = privileged
        host.capAdd = capAdd
        host.capDrop = capDrop
        host.securityOpt = try securityOpt.map { option in
            // As docker's CLI does: a profile file is read here (relative paths work) and sent as JSON.
            guard option.hasPrefix("seccomp=") || option.hasPrefix("seccomp:") else { return option }
            let value = String(option.dropFirst("seccomp=".count))
            guard !["unconfined", "builtin"].contains(value), !value.hasPrefix("{") else { return option }
            guard let profile = try? String(contentsOfFile: value, encoding: .utf8) else {
                throw CLIError(message: "berth: opening seccomp profile \(value) failed: no such file or not readable", code: 125)
            }
            return "seccomp=" + profile
        }
        host.readOnly = readOnly
        if let memory { host.memory = try Self.bytes(memory) }
        if let cpus {
            guard let value = Double(cpus), value >= 0 else { throw CLIError(message: "berth: invalid argument \"\(cpus)\" for \"--cpus\"", code: 125) }
            host.nanoCpus = Int64(value * 1e9)
        }
        if let pidsLimit { host.pidsLimit = pidsLimit }
        host.ulimits = try ulimit.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            let values = parts.count == 2 ? parts[1].split(separator: ":").map { Int64($0) } : []
            guard parts.count == 2, (1...2).contains(values.count), let soft = values[0], let hard = values.last ?? nil else {
                throw CLIError(message: "berth: invalid ulimit argument: \(text) (name=soft[:hard])", code: 125)
            }
            var limit = Engine_Ulimit()
            limit.name = parts[0]
            limit.soft = soft
            limit.hard = hard
            return limit
        }
        host.logConfig.type = logDriver ?? ""
        for option in logOpt {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CLIError(message: "berth: invalid log opt \(option): expected key=value", code: 125) }
            host.logConfig.config[parts[0]] = parts[1]
        }
        try MountFlags.apply(volumes: volume, mounts: mount, tmpfs: tmpfs, volumesFrom: volumesFrom, config: &request.config, host: &host)
        try networkFlags.apply(&request.config, &host)
        request.hostConfig = host
        return request
    }

    /// --env-file lines then -e entries; `KEY` alone takes KEY from this environment (or is dropped).
    func environment() throws -> [String] {
        var entries: [String] = []
        for file in envFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CLIError(message: "berth: open \(file): no such file or directory", code: 125)
            }
            for line in text.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                entries.append(trimmed)
            }
        }
        entries += env
        return entries.compactMap { entry in
            if entry.contains("=") { return entry }
            return ProcessInfo.processInfo.environment[entry].map { "\(entry)=\($0)" }
        }
    }

    /// "512m", "1g", "100k", "1024b" or bytes.
    static func bytes(_ text: String) throws -> Int64 {
        let lower = text.lowercased()
        let units: [(String, Int64)] = [("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        for (suffix, scale) in units where lower.hasSuffix(suffix) {
            guard let value = Double(lower.dropLast(suffix.count)) else { break }
            return Int64(value * Double(scale))
        }
        guard let value = Int64(lower) else { throw CLIError(message: "berth: invalid size: '\(text)'", code: 125) }
        return value
    }
}
