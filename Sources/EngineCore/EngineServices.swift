// EngineServices: berth.engine.v1 on a ttrpc registry — Engine (version, ping), Containers,
// Images and Events — each handler a thin call into the Engine actor.
import API
import Errdefs
import Foundation
import Glibc
import RPC
import SwiftProtobuf

extension Engine {
    public nonisolated func registry() -> ServiceRegistry {
        var registry = ServiceRegistry()
        registry.unary(EngineAPI.engine, "Version") { (_: Google_Protobuf_Empty, _) in Self.version() }
        registry.unary(EngineAPI.engine, "Ping") { (_: Google_Protobuf_Empty, _) in
            var response = Engine_PingResponse()
            response.apiVersion = EngineAPI.apiVersion
            response.osType = "linux"
            return response
        }
        registerContainers(on: &registry)
        registerImages(on: &registry)
        registerSystem(on: &registry)
        registerFilesystem(on: &registry)
        registerVolumes(on: &registry)
        registerNetworks(on: &registry)
        registry.serverStreaming(EngineAPI.events, "Subscribe") { [self] (request: Engine_SubscribeRequest, _, writer: TypedWriter<Engine_Event>) in
            let until = request.hasUntil ? request.until.date : nil
            for await event in try await events.subscribe(request) {
                if let until, event.time.date > until { return }
                try await writer.send(event)
            }
        }
        return registry
    }

    private nonisolated func registerContainers(on registry: inout ServiceRegistry) {
        let service = EngineAPI.containers
        registry.unary(service, "Create") { [self] (request: Engine_CreateContainerRequest, _) in try await create(request) }
        registry.unary(service, "Start") { [self] (request: Engine_StartContainerRequest, _) -> Google_Protobuf_Empty in
            try await start(request.id)
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Stop") { [self] (request: Engine_StopContainerRequest, _) -> Google_Protobuf_Empty in
            try await stop(request.id, timeout: request.hasTimeout ? request.timeout : nil, signal: request.signal)
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Kill") { [self] (request: Engine_KillContainerRequest, _) -> Google_Protobuf_Empty in
            try await kill(request.id, signal: request.signal)
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Remove") { [self] (request: Engine_RemoveContainerRequest, _) -> Google_Protobuf_Empty in
            try await remove(request.id, force: request.force, volumes: request.volumes)
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "List") { [self] (request: Engine_ListContainersRequest, _) in try list(request) }
        registry.unary(service, "Inspect") { [self] (request: Engine_InspectContainerRequest, _) in try await inspect(request.id) }
        registry.unary(service, "Wait") { [self] (request: Engine_WaitContainerRequest, _) in
            try await wait(request.id, condition: request.condition)
        }
        registry.serverStreaming(service, "Logs") { [self] (request: Engine_LogsRequest, _, writer: TypedWriter<Engine_LogChunk>) in
            try await logs(request) { try await writer.send($0) }
        }
        registry.bidirectional(service, "Attach") { [self] (inbound: TypedInbound<Engine_AttachRequest>, _, writer: TypedWriter<Engine_StdioChunk>) in
            try await serveAttach(inbound, writer)
        }
        registry.unary(service, "Pause") { [self] (request: Engine_ContainerRequest, _) -> Google_Protobuf_Empty in
            try await pause(request.id)
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Unpause") { [self] (request: Engine_ContainerRequest, _) -> Google_Protobuf_Empty in
            try await unpause(request.id)
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Rename") { [self] (request: Engine_RenameContainerRequest, _) -> Google_Protobuf_Empty in
            try await rename(request.id, to: request.name)
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Top") { [self] (request: Engine_ContainerRequest, _) in try await top(request.id) }
        registry.bidirectional(service, "Exec") { [self] (inbound: TypedInbound<Engine_ExecRequest>, _, writer: TypedWriter<Engine_ExecOutput>) in
            try await serveExec(inbound, writer)
        }
    }

    /// Attach's stream: the options first, then stdin and resizes forwarded by a task of their own
    /// while the output streams back until the container exits.
    private nonisolated func serveAttach(_ inbound: TypedInbound<Engine_AttachRequest>, _ writer: TypedWriter<Engine_StdioChunk>) async throws {
        let (opened, openedContinuation) = AsyncThrowingStream<Engine_AttachOptions, any Error>.makeStream()
        let input = Task {
            var iterator = inbound.makeAsyncIterator()
            do {
                guard let first = try await iterator.next(), case .options(let options)? = first.kind else {
                    throw CoreError(.invalidArgument, "attach: the first message must carry the options")
                }
                openedContinuation.yield(options)
                openedContinuation.finish()
                while let message = try await iterator.next() {
                    switch message.kind {
                    case .stdin(let chunk)? where options.stdin: await writeStdin(options.id, [UInt8](chunk.data))
                    case .resize(let size)?: await resizeTask(options.id, size)
                    default: break
                    }
                }
                if options.stdin { await stdinEnded(options.id) }
            } catch {
                openedContinuation.finish(throwing: error)
            }
        }
        defer { input.cancel() }
        var iterator = opened.makeAsyncIterator()
        guard let options = try await iterator.next() else { return }
        try await attachOutput(options) { try await writer.send($0) }
    }

    /// Exec's stream: the options first (the exec starts), then stdin and resizes forwarded by a
    /// task of their own while the output streams back, the exit code last.
    private nonisolated func serveExec(_ inbound: TypedInbound<Engine_ExecRequest>, _ writer: TypedWriter<Engine_ExecOutput>) async throws {
        let (started, startedContinuation) = AsyncThrowingStream<ExecHandle, any Error>.makeStream()
        let input = Task {
            var iterator = inbound.makeAsyncIterator()
            do {
                guard let first = try await iterator.next(), case .options(let options)? = first.kind else {
                    throw CoreError(.invalidArgument, "exec: the first message must carry the options")
                }
                let handle = try await startExec(options)
                startedContinuation.yield(handle)
                startedContinuation.finish()
                while let message = try await iterator.next() {
                    switch message.kind {
                    case .stdin(let chunk)?: handle.stdio?.write([UInt8](chunk.data))
                    case .resize(let size)?: await resizeExec(handle, size)
                    default: break
                    }
                }
                await closeExecStdin(handle)
            } catch {
                startedContinuation.finish(throwing: error)
            }
        }
        defer { input.cancel() }
        var iterator = started.makeAsyncIterator()
        guard let handle = try await iterator.next() else { return }
        if handle.stdio == nil {
            var output = Engine_ExecOutput()
            output.execID = handle.execID
            try await writer.send(output)
            return
        }
        let code = try await finishExec(handle) { chunk in
            var output = Engine_ExecOutput()
            output.stdio.fd = chunk.fd
            output.stdio.data = Data(chunk.data)
            try await writer.send(output)
        }
        var output = Engine_ExecOutput()
        output.exitCode = code
        try await writer.send(output)
    }

    private nonisolated func registerImages(on registry: inout ServiceRegistry) {
        let service = EngineAPI.images
        registry.unary(service, "List") { [self] (request: Engine_ListImagesRequest, _) in try await listImages(request) }
        registry.unary(service, "Inspect") { [self] (request: Engine_InspectImageRequest, _) in try await inspectImage(request.name) }
        registry.unary(service, "Remove") { [self] (request: Engine_RemoveImageRequest, _) in try await removeImage(request) }
        registry.clientStreaming(service, "Load") { [self] (chunks: TypedInbound<Engine_ArchiveChunk>, _) in try await load(chunks) }
    }

    static func version() -> Engine_VersionResponse {
        var response = Engine_VersionResponse()
        response.version = BerthVersion.string
        response.apiVersion = EngineAPI.apiVersion
        response.minApiVersion = EngineAPI.apiVersion
        response.os = "linux"
        #if arch(x86_64)
        response.arch = "amd64"
        #elseif arch(arm64)
        response.arch = "arm64"
        #endif
        var uts = utsname()
        uname(&uts)
        response.kernelVersion = withUnsafeBytes(of: uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var engine = Engine_VersionResponse.Component()
        engine.name = "berth-engine"
        engine.version = BerthVersion.string
        response.components = [engine]
        return response
    }
}

public enum BerthVersion {
    public static let string = "0.6.0-dev"
}
