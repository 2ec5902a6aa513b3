// EngineDaemon: berth-engine put together — the supervisor (started as a child, or the one
// named), the link to it, the Engine with its records restored and reconciled, and the ttrpc
// server on the engine socket (0660, group-owned when --group is given; dockerd's -H unix://).
import API
import Errdefs
import Foundation
import Glibc
import Logging
import RPC
import RPCNIO

public final class EngineDaemon: Sendable {
    public let engine: Engine
    public let server: RPCServer
    public let supervisor: SupervisorProcess?
    public let link: SupervisorLink

    private init(engine: Engine, server: RPCServer, supervisor: SupervisorProcess?, link: SupervisorLink) {
        self.engine = engine
        self.server = server
        self.supervisor = supervisor
        self.link = link
    }

    /// Starts everything and listens on `socketPath`, or on `listenFD` (socket activation) when given.
    public static func start(config: EngineConfig, socketPath: String?, listenFD: Int32? = nil, group: String? = nil,
                             logger: Logger) async throws -> EngineDaemon {
        for directory in [config.dataRoot, config.execRoot, config.containersDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o711])
        }
        var supervisor: SupervisorProcess?
        if config.supervisorAddress == nil {
            let process = SupervisorProcess(config: config, logger: logger)
            try await process.start()
            supervisor = process
        }
        let link = SupervisorLink(path: config.supervisorSocket, namespace: config.namespace)
        let engine = try Engine(config: config, link: link, logger: logger)
        await engine.restore()
        let server = RPCServer(registry: engine.registry(), logger: logger, authorize: RPCServer.anyPeer)
        if let listenFD {
            try await server.listen(fileDescriptor: listenFD)
        } else if let socketPath {
            try await server.listen(path: socketPath)
            try restrict(socketPath, group: group)
        }
        logger.info("berth-engine serving", metadata: ["address": "\(socketPath.map { "unix://" + $0 } ?? "fd://")"])
        return EngineDaemon(engine: engine, server: server, supervisor: supervisor, link: link)
    }

    /// Socket mode 0660 owned by root and `group` (the docker group's role); the directory 0711.
    static func restrict(_ path: String, group: String?) throws {
        chmod((path as NSString).deletingLastPathComponent, 0o711)
        var gid: gid_t = getegid()
        if let group, !group.isEmpty {
            if let number = gid_t(group) { gid = number } else {
                guard let entry = getgrnam(group) else { throw CoreError(.notFound, "--group \(group): no such group") }
                gid = entry.pointee.gr_gid
            }
        }
        guard chown(path, geteuid(), gid) == 0 else { throw CoreError(SystemCallFailure(call: "chown", path: path, errno: errno)) }
        guard chmod(path, 0o660) == 0 else { throw CoreError(SystemCallFailure(call: "chmod", path: path, errno: errno)) }
    }
}
