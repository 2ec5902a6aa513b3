// Supervisor: berth-supervisor's state and services put together — the record stores under
// `--root`, the task table under `--state`, the event exchange — registered on one ttrpc
// server that also takes the shims' Events/Forward. `run` restores the tasks left by an earlier
// run before it listens, so a client never sees a half-known world.
import API
import Errdefs
import Foundation
import Images
import Logging
import RPC
import Records
import Snapshots
import RPCNIO

public struct SupervisorConfig: Sendable {
    public var root: String
    public var state: String
    public var address: String
    public var berthShim: String
    public var runcShim: String = "/usr/bin/containerd-shim-runc-v2"
    /// How big a layer may unpack to (a decompression bomb is refused part-way).
    public var layerLimits = LayerLimits()

    public init(root: String, state: String, address: String, berthShim: String) {
        self.root = root
        self.state = state
        self.address = address
        self.berthShim = berthShim
    }
}

public final class Supervisor: Sendable {
    public let config: SupervisorConfig
    let containers: RecordStore
    let namespaces: RecordStore
    let images: RecordStore
    let content: ContentStore
    let snapshots: OverlaySnapshotter
    let tasks: TaskTable
    let events = EventExchange()
    let logger: Logger
    /// Serialises namespace and container record changes (check-then-write).
    let records = RecordLock()
    /// Imports in progress (garbage collection waits for none).
    let importing = Counter()
    /// Held while an image is unpacked into snapshots and while garbage is collected.
    let layers = RecordLock()

    public init(config: SupervisorConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        containers = try RecordStore(directory: config.root + "/containers")
        namespaces = try RecordStore(directory: config.root + "/namespaces")
        images = try RecordStore(directory: config.root + "/images")
        content = try ContentStore(root: config.root + "/content")
        snapshots = try OverlaySnapshotter(root: config.root + "/snapshots")
        let launcher = ShimLauncher(address: config.address, publishBinary: CommandLine.arguments[0])
        tasks = TaskTable(stateDirectory: config.state + "/tasks", launcher: launcher,
                          shims: ShimResolver(berthShim: config.berthShim, runcShim: config.runcShim), logger: logger)
    }

    /// Every service, ready to be served.
    public func registry() -> ServiceRegistry {
        var registry = ServiceRegistry()
        registerNamespaces(on: &registry)
        registerContainers(on: &registry)
        registerTasks(on: &registry)
        registerImages(on: &registry)
        registerSnapshots(on: &registry)
        registerEvents(on: &registry)
        return registry
    }

    /// Restores the tasks of an earlier run, then serves until the server is closed.
    public func start() async throws -> RPCServer {
        try FileManager.default.createDirectory(atPath: config.state + "/tasks", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o711])
        await tasks.setShimLostHandler { [events] entry in
            guard let exit = entry.finalExit else { return }
            var event = Containerd_Events_TaskExit()
            event.containerID = entry.id
            event.id = entry.id
            event.exitStatus = exit.status
            event.exitedAt = exit.at
            await events.publish(topic: TaskTopic.exit, namespace: entry.namespace, event: event)
        }
        await tasks.restore()
        collectGarbage()  // blobs and layers of an import, delete or container removal a crash interrupted
        let server = RPCServer(registry: registry(), logger: logger)
        try await server.listen(path: config.address)
        logger.info("serving", metadata: ["address": "unix://\(config.address)"])
        return server
    }

    /// The namespace a call names (containerd's metadata key), "default" when none, validated.
    static func namespace(of context: CallContext) throws(CoreError) -> String {
        let name = context.metadata[Metadata.namespaceKey] ?? SupervisorAPI.defaultNamespace
        try Identifier.validate(name, what: "namespace")
        return name
    }

    private func registerEvents(on registry: inout ServiceRegistry) {
        EventsAPI.register(on: &registry) { [events] envelope, _ in
            // Acknowledged once delivered to observers and subscribers: the shim retries until then.
            await events.forwarded(envelope)
        }
        registry.serverStreaming(SupervisorAPI.events, "Subscribe") { [events] (request: Supervisor_SubscribeRequest, _, writer: TypedWriter<Containerd_Types_Envelope>) in
            let filter = try EventFilter(request.filters)
            for await envelope in await events.subscribe(filter) {
                try await writer.send(envelope)
            }
        }
    }
}

/// A counter shared between calls.
final class Counter: @unchecked Sendable {
    private let mutex = NSLock()
    private var value = 0
    func withLock<T>(_ body: (inout Int) -> T) -> T {
        mutex.lock()
        defer { mutex.unlock() }
        return body(&value)
    }
}

/// A lock for record changes that check and then write.
final class RecordLock: Sendable {
    private let mutex = NSLock()
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        mutex.lock()
        defer { mutex.unlock() }
        return try body()
    }
}
