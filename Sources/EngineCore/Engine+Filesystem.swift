// Engine+Filesystem: `cp` both ways and `export` (Containers.CopyFrom, CopyTo, Export), on running
// and stopped containers alike. A running container's root is /proc/PID/root of its init,
// checked after opening against the supervisor (still that pid, still running: a pid is not
// reused before its process is reaped, so the open reached the container). A stopped one's
// snapshot is mounted read-write as a detached mount (fsopen/fsmount) that no mount namespace
// ever sees and that disappears with its last descriptor — nothing to unmount, even on error or
// a crash. The work itself is ContainerFilesystem's, on a thread of its own.
// Uploads (cp into a container, import) are spooled to disk as they arrive, so the work never
// holds the transport back: a client that outruns the engine is paced by the transport's flow
// control (RPCNIO stops reading a connection while a call's queue is long).
import API
import Errdefs
import Foundation
import Glibc
import Images
import RPC
import SwiftProtobuf
import Sys

extension Engine {
    nonisolated func registerFilesystem(on registry: inout ServiceRegistry) {
        let service = EngineAPI.containers
        registry.serverStreaming(service, "Export") { [self] (request: Engine_ContainerRequest, _, writer: TypedWriter<Engine_ArchiveChunk>) in
            let root = try await openRoot(request.id)
            try await OutboundChunks.stream("export", { try ContainerFilesystem.export(root, to: $0) }) { bytes in
                var chunk = Engine_ArchiveChunk()
                chunk.data = Data(bytes)
                try await writer.send(chunk)
            }
            await filesystemEvent(request.id, "export")
        }
        registry.serverStreaming(service, "CopyFrom") { [self] (request: Engine_CopyFromRequest, _, writer: TypedWriter<Engine_ArchiveChunk>) in
            let root = try await openRoot(request.id)
            try await OutboundChunks.stream("cp-from", { try ContainerFilesystem.archive(request.path, in: root, to: $0) }) { bytes in
                var chunk = Engine_ArchiveChunk()
                chunk.data = Data(bytes)
                try await writer.send(chunk)
            }
            await filesystemEvent(request.id, "archive-path", path: request.path)
        }
        registry.clientStreaming(service, "CopyTo") { [self] (inbound: TypedInbound<Engine_CopyToRequest>, _) -> Google_Protobuf_Empty in
            var messages = inbound.makeAsyncIterator()
            guard let first = try await messages.next(), case .options(let options)? = first.kind else {
                throw CoreError(.invalidArgument, "cp: the first message must carry the options")
            }
            _ = try await inspect(options.id)  // no such container: say so before taking the upload
            let spool = try spool(messages) { if case .data(let data)? = $0.kind { data } else { nil } }
            let root: ContainerRoot
            do {
                // Opened once all is received, so the container is held open no longer than needed.
                try await spool.received()
                root = try await openRoot(options.id)
            } catch {
                spool.abandon()
                throw error
            }
            try await spool.consume("cp-to") { try ContainerFilesystem.extract(to: options.path, in: root, from: $0) }
            await filesystemEvent(options.id, "extract-to-dir", path: options.path)
            return Google_Protobuf_Empty()
        }
        registry.clientStreaming(EngineAPI.images, "Import") { [self] (inbound: TypedInbound<Engine_ImportImageRequest>, _) in
            try await importImage(inbound)
        }
    }

    /// Starts moving the `data` of the remaining messages into a spool under the data root at
    /// once — ttrpc has no flow control, so nothing slow (opening a container, extracting) may
    /// come between the client's messages and us.
    nonisolated func spool<Message>(_ messages: sending TypedInbound<Message>.AsyncIterator,
                                    data: @escaping @Sendable (Message) -> Data?) throws -> Spool {
        let directory = config.dataRoot + "/tmp"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch { throw CoreError(.internal, "mkdir \(directory): \(error.localizedDescription)") }
        let input = try InboundChunks(spoolDirectory: directory)
        let drain = Task {
            var messages = messages
            do {
                while let message = try await messages.next() {
                    guard let bytes = data(message), !bytes.isEmpty else { continue }
                    if !input.put(bytes) { return }
                }
                input.end()
            } catch {
                input.fail(CoreError.classify(error))
                throw error
            }
        }
        return Spool(input: input, drain: drain)
    }

    struct Spool: Sendable {
        let input: InboundChunks
        let drain: Task<Void, any Error>

        /// Returns once every message is received (or the stream failed).
        func received() async throws {
            try await drain.value
        }

        /// Once everything is received, runs `body` on a thread of its own reading the spool
        /// (not before: a busy consumer would take the CPU the receiving needs to keep up).
        func consume(_ name: String, _ body: @escaping @Sendable (InboundChunks) throws -> Void) async throws {
            let input = input
            do {
                try await drain.value
                try await runOnThread(name) {
                    defer { input.close() }
                    try body(input)
                }
            } catch {
                input.close()
                if case .failure(let received) = await drain.result { throw received }
                throw error
            }
            try await drain.value
        }

        /// Gives up (the call failed before consuming): the receiving stops.
        func abandon() { input.close() }
    }

    /// The container's root: its init's while it runs, else a private mount of its snapshot.
    func openRoot(_ reference: String) async throws -> ContainerRoot {
        let inspect = try store.resolve(reference).inspect
        let id = inspect.id
        let pid = inspect.state.pid
        if (inspect.state.status == .running || inspect.state.status == .paused) && pid > 0 {
            let directory = try FileDescriptor.open("/proc/\(pid)/root", flags: O_RDONLY | O_DIRECTORY)
            let mountPoints = ContainerFilesystem.mountPoints(of: Int32(pid))
            let task = try await link.run { try await $0.task(id) }
            guard task.pid == pid, [.running, .paused, .pausing].contains(task.status) else {
                throw CoreError(.failedPrecondition, "container \(reference) stopped while its filesystem was being opened; try again")
            }
            return ContainerRoot(directory: directory, mount: nil, mountPoints: mountPoints, name: reference)
        }
        return try Self.mountSnapshot(try await snapshotMount(id), name: reference)
    }

    /// The one mount of container `id`'s overlay snapshot, from the supervisor.
    func snapshotMount(_ id: String) async throws -> Containerd_Types_Mount {
        let mounts: [Containerd_Types_Mount] = try await link.run { client in
            var request = Supervisor_SnapshotMountsRequest()
            request.snapshotter = "overlayfs"
            request.key = id
            let response: Supervisor_SnapshotMountsResponse = try await client.call(SupervisorAPI.snapshots, "Mounts", request)
            return response.mounts
        }
        guard mounts.count == 1, let mount = mounts.first else {
            throw CoreError(.internal, "container \(id)'s snapshot has \(mounts.count) mounts; berth mounts one")
        }
        return mount
    }

    /// Mounts an overlay snapshot detached (a bind one is its directory, opened).
    static func mountSnapshot(_ mount: Containerd_Types_Mount, name: String) throws(CoreError) -> ContainerRoot {
        switch mount.type {
        case "overlay":
            var options: [(key: String, value: String)] = [("source", mount.source.isEmpty ? "overlay" : mount.source)]
            var attributes: Linux.MountAttributes = []
            for option in mount.options {
                let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 {
                    options.append((parts[0], parts[1]))
                } else if option == "ro" {
                    attributes.insert(.readOnly)
                } else if option != "rw" {
                    throw CoreError(.unimplemented, "snapshot mount option \(option) is not supported by cp/export")
                }
            }
            let detached = try Linux.detachedMount(type: "overlay", options: options, attributes: attributes)
            let directory = FileDescriptor(adopting: detached.withRawValue { openat($0, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) })
            guard directory.isOpen else { throw CoreError(SystemCallFailure(call: "openat", path: "overlay of \(name)", errno: errno)) }
            return ContainerRoot(directory: directory, mount: detached, mountPoints: [], name: name)
        case "bind", "rbind":
            let directory = try FileDescriptor.open(mount.source, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            return ContainerRoot(directory: directory, mount: nil, mountPoints: [], name: name)
        default:
            throw CoreError(.unimplemented, "snapshot mount type \(mount.type) is not supported by cp/export")
        }
    }

    func filesystemEvent(_ reference: String, _ action: String, path: String? = nil) async {
        guard let stored = try? store.resolve(reference) else { return }
        var attributes = attributes(of: stored)
        if let path { attributes["path"] = path }
        await events.publish(type: "container", action: action, id: stored.inspect.id, attributes: attributes)
    }
}
