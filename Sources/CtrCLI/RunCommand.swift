// RunCommand: `berth-ctr run [--rm] [-d] [-t] --rootfs DIR ID [CMD...]` — creates the container
// and its task, starts it, and (unless -d) relays its stdio and exits with its exit status, as
// `ctr run` does; --rm deletes task and container afterwards.
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
    @Flag(name: [.short, .long], help: "Detach: start the container and return.") var detach = false

    func run() async throws {
        let status: UInt32 = try await withClient(global) { client in
            try await client.createContainer(try spec.container(namespace: client.namespace))
            var request = Supervisor_CreateTaskRequest()
            request.containerID = spec.id
            request.terminal = spec.tty
            var relay: StdioRelay?
            var terminal: TerminalMode?
            if !detach {
                let made = try StdioRelay(id: spec.id, terminal: spec.tty)
                request.stdin = made.stdinPath
                request.stdout = made.stdoutPath
                request.stderr = made.stderrPath
                relay = made
            }
            do {
                _ = try await client.createTask(request)
            } catch {
                relay?.finish()
                try? await client.deleteContainer(spec.id)
                throw error
            }
            if spec.tty, isatty(0) != 0 {
                terminal = TerminalMode.raw()
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
                try await client.deleteContainer(spec.id)
            }
            return exit.exitStatus
        }
        if status != 0 { throw ExitCode(Int32(status & 0xFF)) }
    }
}
