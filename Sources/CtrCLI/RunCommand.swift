// RunCommand: `berth-ctr run [--rm] [-d] [-t] --rootfs DIR ID [CMD...]` — creates the container
// and its task, starts it, and (unless -d) relays its stdio and exits with its exit status, as
// `ctr run` does; --rm deletes task and container afterwards. The task's stdio are its fifos
// (TaskFifos), so `tasks attach` reaches a detached task, or a foreground one from elsewhere.
import API
import ArgumentParser
import Errdefs
import Foundation
import Glibc
import Sys

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a container.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: ContainerSpecOptions
    @Flag(help: "Delete the task and container when it exits.") var rm = false
    @Flag(name: [.short, .long], help: "Detach: start the container and return (`tasks attach` reattaches).") var detach = false
    @Option(name: .customLong("fifo-dir"), help: "Where the task's stdio fifos go (default: /run/berth/ctr-fifo).")
    var fifoDirectory: String?

    func validate() throws {
        if detach && rm { throw ValidationError("--detach and --rm cannot be used together") }
        if let fifoDirectory, !fifoDirectory.hasPrefix("/") { throw ValidationError("--fifo-dir needs an absolute path") }
    }

    func run() async throws {
        let status: UInt32 = try await withClient(global) { client in
            try await client.createContainer(try spec.container(namespace: client.namespace))
            var request = Supervisor_CreateTaskRequest()
            request.containerID = spec.id
            request.terminal = spec.tty
            var fifos: TaskFifos?
            var relay: StdioRelay?
            var terminal: TerminalMode?
            do {
                let made = try TaskFifos.make(in: fifoDirectory ?? TaskFifos.defaultDirectory, namespace: client.namespace,
                                              id: spec.id, terminal: spec.tty)
                fifos = made
                request.stdin = made.stdin
                request.stdout = made.stdout
                request.stderr = made.stderr
                if !detach { relay = try StdioRelay(stdin: made.stdin, stdout: made.stdout, stderr: made.stderr) }
                _ = try await made.holdingReaders { try await client.createTask(request) }
            } catch {
                relay?.finish()
                fifos?.discard()
                try? await client.deleteContainer(spec.id)
                throw error
            }
            if spec.tty, isatty(0) != 0 {
                if !detach { terminal = TerminalMode.raw() }
                if let size = TerminalMode.size() { try? await client.resize(spec.id, width: size.width, height: size.height) }
            }
            defer { terminal?.restore() }
            if let relay {
                let id = spec.id
                relay.onInputEnd = { Task { try? await client.closeStdin(id) } }
                relay.start()
            }
            try await client.startTask(spec.id)
            if detach { return 0 }
            let exit = try await client.wait(spec.id)
            relay?.finish()
            if rm {
                try await client.deleteTask(spec.id)
                fifos?.remove()
                try await client.deleteContainer(spec.id)
            }
            return exit.exitStatus
        }
        if status != 0 { throw ExitCode(Int32(status & 0xFF)) }
    }
}
