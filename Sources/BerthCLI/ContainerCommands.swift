// ContainerCommands: start, stop, kill, restart, rm and wait on one or more containers, as
// docker does them: each name is echoed when done, errors are printed per container, and the
// command exits 1 if any failed.
import API
import ArgumentParser
import Errdefs
import Foundation
import SwiftProtobuf

/// Runs `body` for each container; prints what docker prints; exits 1 if any failed.
func forEachContainer(_ names: [String], echo: Bool = true,
                      _ body: (EngineConnection, String) async throws -> Void) async throws {
    try await withEngine { connection in
        var failed = false
        for name in names {
            do {
                try await body(connection, name)
                if echo { print(name) }
            } catch let error as CoreError {
                failed = true
                FileHandle.standardError.write(Data("Error response from daemon: \(error.message)\n".utf8))
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// The stop signal, then SIGKILL after `timeout` seconds (the container's own timeout when nil).
func stopContainer(_ name: String, timeout: Int32?, signal: String?, on connection: EngineConnection) async throws {
    var request = Engine_StopContainerRequest()
    request.id = name
    if let timeout { request.timeout = timeout }
    request.signal = signal ?? ""
    let _: Google_Protobuf_Empty = try await connection.client.call(EngineAPI.containers, "Stop", request)
}

struct StartCommand: AsyncParsableCommand, SignalProxying {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more stopped containers.")
    @Flag(name: .shortAndLong, help: "Attach STDOUT/STDERR and forward signals.") var attach = false
    @Flag(name: .shortAndLong, help: "Attach container's STDIN.") var interactive = false
    @Argument var containers: [String]

    var proxiesSignals: Bool { attach || interactive }  // as docker: always when attached, unless a terminal

    func run() async throws {
        if attach || interactive {
            guard containers.count == 1, let id = containers.first else {
                throw CLIError(message: "berth: you cannot start and attach multiple containers at once", code: 1)
            }
            let status: Int32 = try await withEngine { connection in
                let inspect = try await connection.client.inspect(id)
                // A container that ran before has an exit already: wait for the one after this start.
                return try await RunCommand.attachAndRun(id, stdin: interactive, tty: inspect.config.tty, logs: false,
                                                         waitAfterOutput: inspect.state.status != .created,
                                                         on: connection) { try await connection.client.start(id) }
            }
            if status != 0 { throw ExitCode(status) }
            return
        }
        try await forEachContainer(containers) { connection, name in try await connection.client.start(name) }
    }
}

struct AttachCommand: AsyncParsableCommand, SignalProxying {
    static let configuration = CommandConfiguration(commandName: "attach", abstract: "Attach local standard input, output, and error streams to a running container.")
    @Flag(name: .customLong("no-stdin"), help: "Do not attach STDIN.") var noStdin = false
    @Option(name: .customLong("sig-proxy"), help: "Proxy all received signals to the process (without a terminal).") var sigProxy = true
    @Argument var container: String

    var proxiesSignals: Bool { sigProxy }

    func run() async throws {
        let status: Int32 = try await withEngine { connection in
            let inspect = try await connection.client.inspect(container)
            guard inspect.state.running else {
                throw CLIError(message: "You cannot attach to a stopped container, start it first", code: 1)
            }
            return try await RunCommand.attachAndRun(inspect.id, stdin: inspect.config.openStdin && !noStdin, tty: inspect.config.tty,
                                                     logs: false, on: connection) {}
        }
        if status != 0 { throw ExitCode(status) }
    }
}

struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop one or more running containers.")
    @Option(name: .shortAndLong, help: "Signal to send to the container.") var signal: String?
    @Option(name: .shortAndLong, help: "Seconds to wait before killing the container.") var time: Int32?
    @Argument var containers: [String]

    func run() async throws {
        try await forEachContainer(containers) { connection, name in
            try await stopContainer(name, timeout: time, signal: signal, on: connection)
        }
    }
}

struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill one or more running containers.")
    @Option(name: .shortAndLong, help: "Signal to send to the container.") var signal = "KILL"
    @Argument var containers: [String]

    func run() async throws {
        try await forEachContainer(containers) { connection, name in
            var request = Engine_KillContainerRequest()
            request.id = name
            request.signal = signal
            let _: Google_Protobuf_Empty = try await connection.client.call(EngineAPI.containers, "Kill", request)
        }
    }
}

struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart one or more containers.")
    @Option(name: .shortAndLong, help: "Seconds to wait before killing the container.") var time: Int32?
    @Argument var containers: [String]

    func run() async throws {
        try await forEachContainer(containers) { connection, name in
            try await stopContainer(name, timeout: time, signal: nil, on: connection)
            try await connection.client.start(name)
        }
    }
}

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more containers.")
    @Flag(name: .shortAndLong, help: "Force the removal of a running container (uses SIGKILL).") var force = false
    @Flag(name: .shortAndLong, help: "Remove anonymous volumes associated with the container.") var volumes = false
    @Argument var containers: [String]

    func run() async throws {
        try await forEachContainer(containers) { connection, name in
            try await connection.client.remove(name, force: force, volumes: volumes)
        }
    }
}

struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Block until containers stop, then print their exit codes.")
    @Argument var containers: [String]

    func run() async throws {
        try await forEachContainer(containers, echo: false) { connection, name in
            print(try await connection.client.wait(name).statusCode)
        }
    }
}
