// RunCommand: `berth run` and `berth create`. run creates the container, and unless -d attaches
// to its output (replayed from its log, so nothing printed before the attach is missed), starts
// it, and exits with its status; with --rm the engine removes it after the exit. An executable
// that is missing or cannot be run gives docker's 127 and 126; any other refusal 125. Without -i
// and -t it runs on the calling thread (PlainRun); with them, through NIO here.
import API
import ArgumentParser
import Errdefs
import Foundation
import RPC
import RPCNIO
import SwiftProtobuf
import Sys

struct RunCommand: AsyncParsableCommand, CallingThreadCommand, SignalProxying {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and run a new container from an image.",
                                                    helpNames: [.long])
    @Flag(name: .shortAndLong, help: "Run container in background and print container ID.") var detach = false
    @Option(name: .customLong("sig-proxy"), help: "Proxy received signals to the process (without -t).") var sigProxy = true
    @OptionGroup var flags: ContainerFlags

    var proxiesSignals: Bool { sigProxy && !detach && !flags.tty }

    /// Without -i or -t, the whole run happens on this thread (PlainRun); those two take `run()`.
    func runOnCallingThread() throws -> Bool {
        guard !flags.interactive && !flags.tty else { return false }
        let status = try PlainRun.run(try flags.request(), detach: detach, remove: flags.rm, proxySignals: sigProxy)
        if status != 0 { throw ExitCode(status) }
        return true
    }

    func run() async throws {
        var request = try flags.request()
        request.config.stdinOnce = flags.interactive && !detach  // docker run -i: the client's EOF closes stdin
        if flags.tty, let size = TerminalMode.size() {
            request.hostConfig.consoleSize.width = size.width
            request.hostConfig.consoleSize.height = size.height
        }
        try await withEngine { connection in
            let id = try await Self.create(request, on: connection)
            if detach {
                try await Self.start(id, on: connection, remove: false)
                print(id)
                return
            }
            let status = try await Self.attachAndRun(id, stdin: flags.interactive, tty: flags.tty, logs: true,
                                                     on: connection) { try await Self.start(id, on: connection, remove: flags.rm) }
            if status != 0 { throw ExitCode(status) }
        }
    }

    /// Attaches (stdin with `stdin`, a raw terminal with `tty`), runs `start`, copies the output
    /// until the container's next exit and returns its status; the detach keys leave it running
    /// (exit 0). The wait is made before the start (a `--rm` container is gone once it exits)
    /// unless `waitAfterOutput`: a container restarted by `start -a` still shows its previous
    /// exit until the output ends with the new one.
    static func attachAndRun(_ id: String, stdin: Bool, tty: Bool, logs: Bool, waitAfterOutput: Bool = false,
                             on connection: EngineConnection, start: () async throws -> Void) async throws -> Int32 {
        let call = try await StdioOutput.attach(id, logs: logs, stdin: stdin, on: connection)
        let client = connection.client
        let early = waitAfterOutput ? nil : Task { try await client.wait(id, condition: .notRunning) }
        let input = InteractiveInput(stdin: stdin, tty: tty)
        defer { input.restore() }
        let forwarder = Task { try await forwardOrDetach(input, to: call) }
        defer { forwarder.cancel() }
        if !tty { SignalRelay.attach(id, connection) }  // with a terminal, ^C goes through it
        defer { SignalRelay.detach() }
        do {
            try await start()
        } catch {
            early?.cancel()
            throw error
        }
        try await StdioOutput.copy(call.responses)
        let waited = if let early { try await early.value } else { try await client.wait(id, condition: .notRunning) }
        return Int32(truncatingIfNeeded: waited.statusCode)
    }

    static func create(_ request: Engine_CreateContainerRequest, on connection: EngineConnection) async throws -> String {
        let response: Engine_CreateContainerResponse
        do { response = try await connection.client.create(request) } catch {
            throw createFailure(error, image: request.config.image)
        }
        printWarnings(response.warnings)
        return response.id
    }

    /// What a refused Create becomes: an image that is not here gets docker's words and a hint.
    static func createFailure(_ error: any Error, image: String) -> any Error {
        guard let error = error as? CoreError, error.code == .notFound, error.message.hasPrefix("No such image") else { return error }
        FileHandle.standardError.write(Data("Unable to find image '\(image)' locally\n".utf8))
        return CLIError(message: "berth: Error response from daemon: \(error.message) (berth has no registry pull yet: `berth load -i` an archive).\nSee 'berth run --help'.", code: 125)
    }

    static func printWarnings(_ warnings: [String]) {
        for warning in warnings { FileHandle.standardError.write(Data("WARNING: \(warning)\n".utf8)) }
    }

    /// Starts `id`; an executable that is missing exits 127, one that cannot be run 126 (docker's codes).
    static func start(_ id: String, on connection: EngineConnection, remove: Bool) async throws {
        do {
            try await connection.client.start(id)
        } catch let error as CoreError {
            if remove { try? await connection.client.remove(id, force: true) }
            throw startFailure(error)
        }
    }

    /// What a refused Start becomes: docker's words, and 127 for an executable that is missing,
    /// 126 for one that cannot be run, 125 for anything else.
    static func startFailure(_ error: CoreError) -> CLIError {
        let text = error.message.lowercased()
        let code: Int32 = text.contains("permission denied") ? 126
            : (text.contains("no such file") || text.contains("not found") || text.contains("enoent")) ? 127 : 125
        return CLIError(message: "berth: Error response from daemon: failed to create task for container: \(error.message)", code: code)
    }
}

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new container.", helpNames: [.long])
    @OptionGroup var flags: ContainerFlags

    func run() async throws {
        let request = try flags.request()
        try await withEngine { connection in print(try await RunCommand.create(request, on: connection)) }
    }
}

/// Attach's output: the call, and copying it to our stdout and stderr.
enum StdioOutput {
    /// Attaches to `id`'s stdout and stderr (from the start of its log with `logs`).
    static func attach(_ id: String, logs: Bool, stdin: Bool = false, on connection: EngineConnection) async throws -> BidirectionalCall {
        let call = try await connection.rpc.bidirectional(service: EngineAPI.containers, method: "Attach", timeout: nil)
        var request = Engine_AttachRequest()
        var options = Engine_AttachOptions()
        options.id = id
        options.stdout = true
        options.stderr = true
        options.logs = logs
        options.stdin = stdin
        request.options = options
        try await call.send(try request.serializedBytes())
        return call
    }

    static func copy(_ responses: AsyncThrowingStream<[UInt8], any Error>) async throws {
        for try await bytes in responses {
            let chunk = try Engine_StdioChunk(serializedBytes: bytes)
            (chunk.fd == 2 ? FileHandle.standardError : FileHandle.standardOutput).write(chunk.data)
        }
    }
}
