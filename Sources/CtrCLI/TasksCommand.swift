// TasksCommand: `berth-ctr tasks ls|start|attach|kill|ps|exec|pause|resume|delete|metrics`
// (alias `t`). `start` gives the task its stdio fifos (TaskFifos), `attach` relays them until the
// task exits, `delete` removes them with the task.
import API
import ArgumentParser
import Errdefs
import Foundation
import Glibc
import SwiftProtobuf
import Sys

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks", abstract: "Manage tasks.",
        subcommands: [List.self, Start.self, Attach.self, Kill.self, Ps.self, Exec.self, Pause.self, Resume.self, Delete.self, Metrics.self], aliases: ["t", "task"])

    static func statusName(_ status: Containerd_V1_Types_Status) -> String {
        switch status {
        case .created: "CREATED"
        case .running: "RUNNING"
        case .stopped: "STOPPED"
        case .paused: "PAUSED"
        case .pausing: "PAUSING"
        default: "UNKNOWN"
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List tasks.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @Option var format: OutputFormat = .table
        @Flag(name: .short, help: "Print only the ids.") var quiet = false

        func run() async throws {
            let tasks = try await withClient(global) { try await $0.listTasks() }
            if format == .json { return Table.print(try Table.json(tasks)) }
            if quiet { return Table.print(tasks.map { $0.id + "\n" }.joined()) }
            Table.print(Table.render(["TASK", "PID", "STATUS"], tasks.map { [$0.id, String($0.pid), TasksCommand.statusName($0.status)] }))
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create and start the task of an existing container, detached (`tasks attach` attaches).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("fifo-dir"), help: "Where the task's stdio fifos go (default: /run/berth/ctr-fifo).")
        var fifoDirectory: String?
        @Argument var id: String

        func validate() throws {
            if let fifoDirectory, !fifoDirectory.hasPrefix("/") { throw ValidationError("--fifo-dir needs an absolute path") }
        }

        func run() async throws {
            try await withClient(global) { client in
                // A terminal if the container's spec asks for one, as ctr decides.
                let spec = try await client.container(id).spec.value
                let process = (try? JSONSerialization.jsonObject(with: spec) as? [String: Any])?["process"] as? [String: Any]
                var request = Supervisor_CreateTaskRequest()
                request.containerID = id
                request.terminal = process?["terminal"] as? Bool ?? false
                let fifos = try TaskFifos.make(in: fifoDirectory ?? TaskFifos.defaultDirectory, namespace: client.namespace,
                                               id: id, terminal: request.terminal)
                request.stdin = fifos.stdin
                request.stdout = fifos.stdout
                request.stderr = fifos.stderr
                try await fifos.holdingReaders {
                    do { _ = try await client.createTask(request) } catch {
                        fifos.discard()
                        throw error
                    }
                    try await client.startTask(id)
                }
            }
        }
    }

    struct Attach: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attach to a task's stdio (the fifos `run` or `tasks start` gave it) until it exits; exits with its status.",
            discussion: "End of file on our stdin closes the task's stdin, as ctr's attach does.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String

        func run() async throws {
            let status: UInt32 = try await withClient(global) { client in
                let process = try await client.task(id)
                guard !(process.stdin.isEmpty && process.stdout.isEmpty && process.stderr.isEmpty) else {
                    throw CoreError(.failedPrecondition, "task \(id) has no stdio to attach to")
                }
                let relay = try StdioRelay(stdin: process.stdin, stdout: process.stdout, stderr: process.stderr)
                var terminal: TerminalMode?
                if process.terminal, isatty(0) != 0 {
                    terminal = TerminalMode.raw()
                    if let size = TerminalMode.size() { try? await client.resize(id, width: size.width, height: size.height) }
                }
                defer { terminal?.restore() }
                relay.onInputEnd = { [id] in Task { try? await client.closeStdin(id) } }
                relay.start()
                do {
                    let exit = try await client.wait(id)
                    relay.finish()
                    return exit.exitStatus
                } catch {
                    relay.finish()
                    throw error
                }
            }
            if status != 0 { throw ExitCode(Int32(status & 0xFF)) }
        }
    }

    struct Kill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Signal a task.")
        @OptionGroup var global: GlobalOptions
        @Option(name: [.short, .long], help: "Signal name or number.") var signal = "SIGTERM"
        @Flag(name: [.short, .long], help: "Signal every process in the container.") var all = false
        @Option(name: .customLong("exec-id"), help: "Signal an exec process instead.") var execID = ""
        @Argument var id: String

        func run() async throws {
            guard let number = Signals.number(signal) else { throw ValidationError("unknown signal \(signal)") }
            try await withClient(global) { try await $0.kill(id, signal: number, execID: execID, all: all) }
        }
    }

    struct Ps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a task's processes.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String

        func run() async throws {
            let processes = try await withClient(global) { try await $0.pids(id) }
            Table.print(Table.render(["PID", "INFO"], processes.map { [String($0.pid), "-"] }))
        }
    }

    struct Exec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a process in a running task; exits with its status.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("exec-id"), help: "Exec process id (unique in the task).") var execID: String
        @Option(help: "Working directory.") var cwd = "/"
        @Argument var id: String
        @Argument(parsing: .captureForPassthrough) var command: [String]

        func run() async throws {
            let status: UInt32 = try await withClient(global) { client in
                let relay = try StdioRelay(id: "\(id)-\(execID)", terminal: false)
                defer { relay.finish() }
                var request = Supervisor_ExecProcessRequest()
                request.containerID = id
                request.execID = execID
                request.stdin = relay.stdinPath
                request.stdout = relay.stdoutPath
                request.stderr = relay.stderrPath
                let process: [String: Any] = ["args": command, "cwd": cwd, "user": ["uid": 0, "gid": 0],
                                              "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]]
                request.spec = Google_Protobuf_Any(ociType: "Process", json: [UInt8](try JSONSerialization.data(withJSONObject: process)))
                try await client.exec(request)
                let exec = execID
                relay.onInputEnd = { [id] in Task { try? await client.closeStdin(id, execID: exec) } }
                relay.start()
                try await client.startTask(id, execID: execID)
                let exit = try await client.wait(id, execID: execID)
                try await client.deleteTask(id, execID: execID)
                return exit.exitStatus
            }
            if status != 0 { throw ExitCode(Int32(status & 0xFF)) }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Freeze a task.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() async throws { try await withClient(global) { try await $0.pause(id) } }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Thaw a task.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() async throws { try await withClient(global) { try await $0.resume(id) } }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete stopped tasks (and their stdio fifos).", aliases: ["rm", "del"])
        @OptionGroup var global: GlobalOptions
        @Flag(name: [.short, .long], help: "Kill the task first.") var force = false
        @Argument var ids: [String]

        func run() async throws {
            try await withClient(global) { client in
                for id in ids {
                    // Its stdio as created; if its record cannot be read, where `run` would have put them.
                    let process = try? await client.task(id)
                    let fallback = "\(TaskFifos.defaultDirectory)/\(client.namespace)/\(id)"
                    let stdio = process.map { [$0.stdin, $0.stdout, $0.stderr] } ?? TaskFifos.names.map { "\(fallback)/\($0)" }
                    if force {
                        try? await client.kill(id, signal: SIGKILL, all: true)
                        _ = try? await client.wait(id, timeout: .seconds(10))
                    }
                    try await client.deleteTask(id)
                    TaskFifos.remove(paths: stdio, namespace: client.namespace, id: id)
                }
            }
        }
    }

    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a task's cgroup metrics (JSON).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String

        func run() async throws {
            let metrics = try await withClient(global) { try await $0.metrics(filters: ["id==\(id)"]) }
            Table.print(try Table.json(metrics))
        }
    }
}
