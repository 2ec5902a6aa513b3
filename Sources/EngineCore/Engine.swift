// Engine: berth-engine's containers — docker's objects over the supervisor's. A container is a
// supervisor container (its image's snapshot is its rootfs, kept from create to rm, so a restart
// keeps its files) plus the engine's record: name, merged config, state, restart policy. `start`
// creates a task whose stdout and stderr the shim writes to <id>-json.log itself; the exit is
// awaited through the supervisor, recorded, and acted on (restart policy, --rm). Lifecycle
// verbs are in Engine+Lifecycle.swift, exits and restore in Engine+Exits.swift.
import API
import Digest
import Errdefs
import Foundation
import Images
import Logging
import OCI
import SwiftProtobuf
import Sys

public actor Engine {
    public let config: EngineConfig
    let logger: Logger
    let link: SupervisorLink
    public let events = EngineEvents()
    var store: ContainerStore
    /// The store's records for `ps`, read without the actor (ContainerView).
    nonisolated let containerView = ContainerView()
    /// The local driver's volumes (VolumeStore, Engine+Volumes.swift, Engine+Mounts.swift).
    var volumes: VolumeStore
    /// Networks (Engine+Networks.swift, Engine+NetworkAPI.swift).
    var networks: NetworkStore
    /// Name resolution's servers and starting containers (Engine+DNS.swift).
    var dns = EngineDNSState()
    /// Continuations waiting for any change of a container (start, exit, removal).
    var changeWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// Exits seen per container since the engine started, and the last code (attach and wait
    /// next-exit count them; kept a while after removal for a waiter that wakes late).
    var exits = ExitCounts()
    /// Our write ends of containers' stdin fifos (Engine+Stdin.swift).
    var stdinWriters: [String: Int32] = [:]
    /// Containers whose attached input ended before their task existed (stdin-once).
    var stdinClosePending: Set<String> = []
    /// The delay before the next policy restart of a container.
    var restartDelays: [String: Duration] = [:]
    /// Removals under way in this run: a record marked "removing" without one here is a removal
    /// a crash interrupted, which the next `rm` (or the restore) finishes.
    var removalsInFlight: Set<String> = []
    /// Containers a restart policy is starting right now (a `stop` waits for it to finish).
    var restartsInFlight: Set<String> = []
    /// Names of containers being created: taken from the start, as docker reserves them, so two
    /// creates with one name cannot both succeed while each awaits the supervisor.
    var namesInCreation: Set<String> = []
    let cgroupNamespace: Bool

    public init(config: EngineConfig, link: SupervisorLink, logger: Logger) throws {
        self.config = config
        self.link = link
        self.logger = logger
        store = try ContainerStore(directory: config.containersDirectory, view: containerView)
        var volumes = try VolumeStore(directory: config.dataRoot + "/volumes")
        for error in volumes.load() { logger.error("unreadable volume record", metadata: ["error": "\(error)"]) }
        self.volumes = volumes
        networks = try NetworkStore(dataRoot: config.dataRoot)
        cgroupNamespace = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
    }

    // MARK: create

    public func create(_ request: Engine_CreateContainerRequest) async throws -> Engine_CreateContainerResponse {
        let name = try request.name.isEmpty ? generateName() : validName(request.name)
        namesInCreation.insert(name)
        defer { namesInCreation.remove(name) }
        await FaultInjection.pause("engine-create-named")  // tests: creates racing for a name
        var host = request.hostConfig
        try Self.validate(&host)
        let imageRef = try ImageReference.normalize(request.config.image)
        let image = try await imageDetails(request.config.image)
        let imageConfig = try JSONDecoder().decode(ImageConfig.self, from: image.config)
        let id = Self.newID()
        var inspect = Engine_ContainerInspect()
        inspect.id = id
        inspect.name = name
        inspect.created = Google_Protobuf_Timestamp(date: Date())
        inspect.image = "sha256:" + SHA256.hex([UInt8](image.config))
        inspect.config = try Self.merge(request.config, image: imageConfig.config, id: id)
        let args = inspect.config.entrypoint + inspect.config.cmd
        guard let path = args.first else { throw CoreError(.invalidArgument, "No command specified") }
        inspect.path = path
        inspect.args = Array(args.dropFirst())
        inspect.hostConfig = host
        try prepareNetworking(&inspect, imageExposed: imageConfig.config?.ExposedPorts)
        inspect.state.status = .created
        let directory = store.directory(of: id)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var stored = Engine_StoredContainer()
        var mounts = PreparedMounts()
        defer { volumes.release(mounts.reserved) }
        do {
            try prepareMounts(&inspect, &mounts)
            let etc = try EtcFiles.write(in: directory, hostname: inspect.config.hostname)
            inspect.hostnamePath = etc.hostname
            inspect.hostsPath = etc.hosts
            inspect.resolvConfPath = etc.resolvConf
            inspect.logPath = host.logConfig.type == "none" ? "" : "\(directory)/\(id)-json.log"
            stored.inspect = inspect
            stored.imageRef = imageRef
            let spec = try DockerSpec.build(stored, cgroupParent: config.cgroupParent, cgroupNamespace: cgroupNamespace)
            var container = Supervisor_Container()
            container.id = id
            container.image = imageRef
            container.runtime.name = "io.containerd.berth.v1"
            container.labels = ["berth.engine/name": name]
            container.spec = Google_Protobuf_Any(ociType: "Spec", json: try spec.encoded())
            let record = container
            try await link.run { client in _ = try await client.createContainer(record) }
            do {
                try await applyUser(stored, container: record)
                try await populateVolumes(id, mounts)
            } catch {
                _ = try? await link.run { try await $0.deleteContainer(id) }
                throw error
            }
            if inspect.config.openStdin { _ = try prepareStdin(id) }
            try await saveContainer(stored)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            discardMounts(mounts)
            throw error
        }
        logger.info("container created", metadata: ["id": "\(id)", "name": "\(name)", "image": "\(imageRef)"])
        await events.publish(type: "container", action: "create", id: id, attributes: attributes(of: stored))
        var response = Engine_CreateContainerResponse()
        response.id = id
        return response
    }

    /// Docker's merge of the image config with the request: an entrypoint given drops the image's
    /// Cmd; image Env first, the request's overriding; HOSTNAME and (with a tty) TERM added.
    static func merge(_ request: Engine_ContainerConfig, image: ImageConfig.Container?, id: String) throws(CoreError) -> Engine_ContainerConfig {
        var merged = request
        if request.entrypoint.isEmpty {
            merged.entrypoint = image?.Entrypoint ?? []
            merged.cmd = request.cmd.isEmpty ? (image?.Cmd ?? []) : request.cmd
        }
        if merged.hostname.isEmpty { merged.hostname = String(id.prefix(12)) }
        var env = image?.Env ?? []
        if !env.contains(where: { $0.hasPrefix("PATH=") }) {
            env.insert("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", at: 0)
        }
        let defaults = ["HOSTNAME=\(merged.hostname)"] + (request.tty ? ["TERM=xterm"] : [])
        for variable in defaults + request.env {
            guard let name = variable.split(separator: "=", maxSplits: 1).first, !name.isEmpty else {
                throw CoreError(.invalidArgument, "invalid environment variable: \(variable)")
            }
            env.removeAll { $0 == name || $0.hasPrefix(name + "=") }
            env.append(variable)
        }
        merged.env = env
        if merged.workingDir.isEmpty { merged.workingDir = image?.WorkingDir ?? "" }
        if !merged.workingDir.isEmpty && !merged.workingDir.hasPrefix("/") {
            throw CoreError(.invalidArgument, "the working directory '\(merged.workingDir)' is invalid, it needs to be an absolute path")
        }
        if merged.user.isEmpty { merged.user = image?.User ?? "" }
        _ = try DockerSpec.numericUser(merged.user)
        if merged.stopSignal.isEmpty { merged.stopSignal = image?.StopSignal ?? "" }
        if let signal = merged.stopSignal.isEmpty ? nil : merged.stopSignal, Signals.number(signal) == nil {
            throw CoreError(.invalidArgument, "invalid stop signal: \(signal)")
        }
        var labels = image?.Labels ?? [:]
        for (key, value) in request.labels { labels[key] = value }
        merged.labels = labels
        for path in (image?.Volumes ?? [:]).keys.sorted() where !merged.volumes.contains(path) { merged.volumes.append(path) }
        return merged
    }

    static func validate(_ host: inout Engine_HostConfig) throws(CoreError) {
        switch host.restartPolicy.name {
        case "", "no": host.restartPolicy.name = "no"
        case "always", "unless-stopped", "on-failure": break
        default: throw CoreError(.invalidArgument, "invalid restart policy '\(host.restartPolicy.name)'")
        }
        if host.restartPolicy.maximumRetryCount != 0 && host.restartPolicy.name != "on-failure" {
            throw CoreError(.invalidArgument, "maximum retry count cannot be used with restart policy '\(host.restartPolicy.name)'")
        }
        if host.autoRemove && host.restartPolicy.name != "no" {
            throw CoreError(.invalidArgument, "Conflicting options: --restart and --rm")
        }
        let limits = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as"]
        for limit in host.ulimits {
            guard limits.contains(limit.name) else { throw CoreError(.invalidArgument, "invalid ulimit type: \(limit.name)") }
            guard limit.soft <= limit.hard || limit.hard < 0 else {
                throw CoreError(.invalidArgument, "ulimit soft limit must be less than or equal to hard limit: \(limit.soft) > \(limit.hard)")
            }
        }
        if host.logConfig.type.isEmpty { host.logConfig.type = "json-file" }
        guard ["json-file", "journald", "none"].contains(host.logConfig.type) else {
            throw CoreError(.invalidArgument, "log driver \(host.logConfig.type) is not supported (json-file, journald, none)")
        }
        _ = try DockerSpec.capabilities(privileged: host.privileged, add: host.capAdd, drop: host.capDrop)
        host.securityOpt = try DockerSpec.securityOptions(host.securityOpt)
    }

    func validName(_ name: String) throws(CoreError) -> String {
        let bare = name.hasPrefix("/") ? String(name.dropFirst()) : name
        let allowed = bare.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7a) || $0 == 0x5f || $0 == 0x2e || $0 == 0x2d }
        guard bare.count >= 2, allowed, let first = bare.utf8.first, first != 0x5f, first != 0x2e, first != 0x2d else {
            throw CoreError(.invalidArgument, "Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        if namesInCreation.contains(bare) {
            throw CoreError(.alreadyExists, "Conflict. The container name \"/\(bare)\" is already in use by a container being created. You have to remove (or rename) that container to be able to reuse that name.")
        }
        if let owner = store.isNameTaken(bare) {
            throw CoreError(.alreadyExists, "Conflict. The container name \"/\(bare)\" is already in use by container \"\(owner)\". You have to remove (or rename) that container to be able to reuse that name.")
        }
        return bare
    }

    func generateName() -> String {
        while true {
            let name = NameGenerator.random()
            if store.isNameTaken(name) == nil && !namesInCreation.contains(name) { return name }
        }
    }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The attributes docker puts on a container's events: its name, image and labels.
    func attributes(of stored: Engine_StoredContainer) -> [String: String] {
        var attributes = stored.inspect.config.labels
        attributes["name"] = stored.inspect.name
        attributes["image"] = stored.inspect.config.image
        return attributes
    }

    // MARK: changes

    /// Suspends until the container changes (or `deadline` passes).
    func awaitChange(_ id: String, deadline: ContinuousClock.Instant? = nil) async {
        if let deadline {
            Task { [weak self] in
                try? await Task.sleep(until: deadline)
                await self?.notify(id)
            }
        }
        await withCheckedContinuation { continuation in changeWaiters[id, default: []].append(continuation) }
    }

    func notify(_ id: String) {
        for continuation in changeWaiters.removeValue(forKey: id) ?? [] { continuation.resume() }
    }
}
