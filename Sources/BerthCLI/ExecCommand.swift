// ExecCommand: `berth exec` — a process in a running container with -i (stdin), -t (a terminal:
// raw mode, resizes, ctrl-p ctrl-q to detach), -d, -e, -u, -w, --privileged; exits with the
// process's status (126/127 when it cannot run, as docker).
import API
import ArgumentParser
import Errdefs
import Foundation
import RPCNIO
import SwiftProtobuf
import Sys

struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Execute a command in a running container.")
    @Flag(name: .shortAndLong, help: "Detached mode: run command in the background.") var detach = false
    @Flag(name: .shortAndLong, help: "Keep STDIN open even if not attached.") var interactive = false
    @Flag(name: .shortAndLong, help: "Allocate a pseudo-TTY.") var tty = false
    @Option(name: .shortAndLong, help: "Set environment variables.") var env: [String] = []
    @Option(name: .shortAndLong, help: "Username or UID (format: uid[:gid]).") var user: String?
    @Option(name: .shortAndLong, help: "Working directory inside the container.") var workdir: String?
    @Flag(help: "Give extended privileges to the command.") var privileged = false
    @Argument var container: String
    @Argument(parsing: .captureForPassthrough) var command: [String] = []

    func run() async throws {
        let command = self.command.first == "--" ? Array(self.command.dropFirst()) : self.command
        guard !command.isEmpty else { throw CLIError(message: "berth: exec requires at least 2 arguments", code: 1) }
        var options = Engine_ExecOptions()
        options.id = container
        options.cmd = command
        options.env = env
        options.user = user ?? ""
        options.workingDir = workdir ?? ""
        options.tty = tty
        options.attachStdin = interactive && !detach
        options.detach = detach
        options.privileged = privileged
        if tty, let size = TerminalMode.size() {
            options.consoleSize.width = size.width
            options.consoleSize.height = size.height
        }
        let code: Int32 = try await withEngine { connection in
            let call = try await connection.rpc.bidirectional(service: EngineAPI.containers, method: "Exec", timeout: nil)
            var first = Engine_ExecRequest()
            first.options = options
            try await call.send(try first.serializedBytes())
            let input = InteractiveInput(stdin: options.attachStdin, tty: tty)
            defer { input.restore() }
            let forwarder = Task { try await forwardOrDetach(input, to: call) }
            defer { forwarder.cancel() }
            do {
                for try await bytes in call.responses {
                    let output = try Engine_ExecOutput(serializedBytes: bytes)
                    switch output.kind {
                    case .stdio(let chunk)?: (chunk.fd == 2 ? FileHandle.standardError : FileHandle.standardOutput).write(chunk.data)
                    case .exitCode(let code)?: return code
                    case .execID(let id)?:
                        _ = id
                        return 0
                    case nil: break
                    }
                }
            } catch let error as CoreError {
                let text = error.message.lowercased()
                let code: Int32 = text.contains("permission denied") ? 126
                    : (text.contains("no such file") || text.contains("not found") && !text.contains("no such container")) ? 127 : 1
                throw CLIError(message: "Error response from daemon: \(error.message)", code: code)
            }
            return 0
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// Forwards input; on the detach keys restores the terminal and exits 0, leaving the process running.
func forwardOrDetach(_ input: InteractiveInput, to call: BidirectionalCall) async throws {
    guard try await forward(input, to: call) == .detached else { return }
    input.restore()
    FileHandle.standardError.write(Data("read escape sequence\n".utf8))
    exit(0)
}

enum ForwardResult: Sendable { case ended, detached }

/// Sends stdin, resizes and the end of input of an exec or attach call, until detach or end.
/// (ExecRequest and AttachRequest carry stdin and resize under the same field numbers and types,
/// so these bytes serve both calls.)
@discardableResult
func forward(_ input: InteractiveInput, to call: BidirectionalCall) async throws -> ForwardResult {
    for await event in input.events {
        switch event {
        case .input(let bytes):
            var request = Engine_ExecRequest()
            request.stdin.fd = 0
            request.stdin.data = Data(bytes)
            try await call.send(try request.serializedBytes())
        case .resize(let width, let height):
            var request = Engine_ExecRequest()
            request.resize.width = width
            request.resize.height = height
            try await call.send(try request.serializedBytes())
        case .end:
            try await call.closeSend()
            return .ended
        case .detach:
            return .detached
        }
    }
    return .ended
}
