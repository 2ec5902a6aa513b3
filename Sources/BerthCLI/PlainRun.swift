// PlainRun: `berth run` without -i or -t — what scripts and the load of many short containers
// run — on the calling thread over one EngineSession: Create; then with -d Start and print the
// id; otherwise Attach (output from the start of the log), Wait and Start written back to back,
// the output copied as it arrives, and the container's status once its output has ended. It
// starts no thread (through NIO and Swift's task pool a run started four and took 8.5 ms of CPU,
// against 5.2 here). -i and -t, which copy our stdin and terminal, take RunCommand's NIO path.
import API
import Errdefs
import FoundationEssentials
import Glibc
import RPC
import SwiftProtobuf
import Sys

enum PlainRun {
    /// Runs `request`'s container; returns its exit status (0 with `detach`, once it started).
    /// With `proxySignals` (docker's --sig-proxy), signals sent to the CLI while it is attached go
    /// to the container.
    static func run(_ request: Engine_CreateContainerRequest, detach: Bool, remove: Bool,
                    proxySignals: Bool = true) throws -> Int32 {
        var session = try EngineSession()
        let created: Engine_CreateContainerResponse
        do { created = try session.unary(EngineAPI.containers, "Create", request) } catch {
            throw RunCommand.createFailure(error, image: request.config.image)
        }
        RunCommand.printWarnings(created.warnings)
        let id = created.id
        var startRequest = Engine_StartContainerRequest()
        startRequest.id = id
        if detach {
            do { let _: Google_Protobuf_Empty = try session.unary(EngineAPI.containers, "Start", startRequest) } catch {
                throw try startFailure(error, id, remove: remove, on: &session)
            }
            try write(Data("\(id)\n".utf8), to: standardOutput)
            return 0
        }

        let attach = try session.start(EngineAPI.containers, "Attach", Google_Protobuf_Empty(), kind: .bidirectional)
        var attachRequest = Engine_AttachRequest()
        attachRequest.options.id = id
        attachRequest.options.stdout = true
        attachRequest.options.stderr = true
        attachRequest.options.logs = true
        try session.send(attach, attachRequest)
        try session.closeSend(attach)
        // The wait goes before the start: a --rm container is gone once it exits.
        var waitRequest = Engine_WaitContainerRequest()
        waitRequest.id = id
        waitRequest.condition = .notRunning
        let wait = try session.start(EngineAPI.containers, "Wait", waitRequest, timeout: .seconds(365 * 24 * 3600))
        let start = try session.start(EngineAPI.containers, "Start", startRequest)

        let proxy = proxySignals ? try SignalProxy() : nil

        // Output is held until the start is answered, as RunCommand's path does: a start that
        // fails prints its error alone.
        var held: [Engine_StdioChunk]? = []
        var outputEnded = false
        var status: Int32?
        while !outputEnded || status == nil || held != nil {
            if let proxy, !session.hasEventWaiting {
                let caught = try proxy.wait(readable: session.descriptor)
                // Each answer is not waited for: a container that has just exited refuses the Kill, as docker ignores.
                for signal in caught { _ = try session.start(EngineAPI.containers, "Kill", SignalProxy.kill(id, signal)) }
                if !caught.isEmpty { continue }
            }
            switch try session.nextEvent() {
            case .data(attach, let payload):
                let chunk: Engine_StdioChunk = try EngineSession.decode(payload, "/\(EngineAPI.containers)/Attach")
                if held != nil { held?.append(chunk) } else { try write(chunk) }
            case .endOfStream(attach):
                outputEnded = true
            case .response(attach, let result):
                _ = try result.get()
                outputEnded = true
            case .response(start, let result):
                do { _ = try result.get() } catch { throw try startFailure(error, id, remove: remove, on: &session) }
                for chunk in held ?? [] { try write(chunk) }
                held = nil
            case .response(wait, let result):
                let waited: Engine_WaitContainerResponse = try EngineSession.decode(result.get(), "/\(EngineAPI.containers)/Wait")
                status = Int32(truncatingIfNeeded: waited.statusCode)
            default:
                continue
            }
        }
        return status ?? 0
    }

    /// What a refused Start becomes; with --rm the container is removed first (on a session with
    /// nothing else in flight that is needed any more).
    private static func startFailure(_ error: any Error, _ id: String, remove: Bool, on session: inout EngineSession) throws -> any Error {
        guard let error = error as? CoreError else { return error }
        if remove {
            var request = Engine_RemoveContainerRequest()
            request.id = id
            request.force = true
            let _: Google_Protobuf_Empty? = try? session.unary(EngineAPI.containers, "Remove", request)
        }
        return RunCommand.startFailure(error)
    }

    /// Our stdout and stderr, kept open for the process's life (a static is never released).
    private static let standardOutput = FileDescriptor(adopting: 1)
    private static let standardError = FileDescriptor(adopting: 2)

    /// Copies a chunk of the container's output to our stdout or stderr.
    private static func write(_ chunk: Engine_StdioChunk) throws {
        try write(chunk.data, to: chunk.fd == 2 ? standardError : standardOutput)
    }

    /// Writes all of `data` to `out`; a failure is the CLI's own (125), not the engine's.
    private static func write(_ data: Data, to out: FileDescriptor) throws {
        do {
            try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) throws in try out.write(buffer) }
        } catch let error as CoreError {
            throw CLIError(message: "berth: \(out === standardError ? "stderr" : "stdout"): \(error.message)", code: 125)
        }
    }
}
