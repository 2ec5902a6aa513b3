// Engine+Exec: `exec`, `pause`, `unpause`, `rename` and `top`. An exec'd process gets the
// container's security settings (capabilities, no-new-privileges) with its own command, extra
// environment, user, working directory and terminal; its stdio goes through fifos the engine
// reads (ProcessStdio), not to the container's log, as with docker.
import API
import Errdefs
import Foundation
import Glibc
import OCI
import SwiftProtobuf

/// A started exec: what its output stream and stdin forwarding need.
struct ExecHandle: Sendable {
    let containerID: String
    let execID: String
    let stdio: ProcessStdio?
}

extension Engine {
    func startExec(_ options: Engine_ExecOptions) async throws -> ExecHandle {
        let stored = try store.resolve(options.id)
        let id = stored.inspect.id
        switch stored.inspect.state.status {
        case .running: break
        case .paused: throw CoreError(.failedPrecondition, "Container \(id) is paused, unpause the container before exec")
        default: throw CoreError(.failedPrecondition, "Container \(id) is not running")
        }
        guard !options.cmd.isEmpty else { throw CoreError(.invalidArgument, "No exec command specified") }
        var process = try DockerSpec.build(stored, cgroupParent: config.cgroupParent, cgroupNamespace: cgroupNamespace).process!
        process.args = options.cmd
        process.terminal = options.tty
        if !options.env.isEmpty { process.env = (process.env ?? []) + options.env }
        if !options.workingDir.isEmpty { process.cwd = options.workingDir }
        let user = options.user.isEmpty ? stored.inspect.config.user : options.user
        if !user.isEmpty { process.user = try await lookUpUser(user, in: id) }
        if options.privileged {
            let all = DockerSpec.allCapabilities
            process.capabilities = LinuxCapabilities(bounding: all, effective: all, permitted: all)
        }
        process.consoleSize = options.tty && options.consoleSize.width > 0
            ? ConsoleSize(height: UInt(options.consoleSize.height), width: UInt(options.consoleSize.width)) : nil
        let execID = String(Self.newID().prefix(32))
        var stdio: ProcessStdio?
        if !options.detach {
            try FileManager.default.createDirectory(atPath: config.execRoot + "/exec", withIntermediateDirectories: true)
            stdio = try ProcessStdio(directory: "\(config.execRoot)/exec/\(execID)", stdin: options.attachStdin, terminal: options.tty)
        }
        var request = Supervisor_ExecProcessRequest()
        request.containerID = id
        request.execID = execID
        request.terminal = options.tty
        request.stdin = stdio?.stdinPath ?? ""
        request.stdout = stdio?.stdoutPath ?? ""
        request.stderr = stdio?.stderrPath ?? ""
        request.spec = Google_Protobuf_Any(ociType: "Process", json: [UInt8](try JSONEncoder().encode(process)))
        let made = request
        do {
            // Tried again when the supervisor restarts mid-way: the first try's exec may exist,
            // even have started, and must be used, not refused ("already exists") and lost.
            try await link.run { client in
                do { try await client.exec(made) } catch let error as CoreError where error.code == .alreadyExists {}
                do { _ = try await client.startTask(id, execID: execID) } catch {
                    if (error as? CoreError)?.code == .unavailable { throw error }  // link.run tries again
                    if let process = try? await client.task(id, execID: execID), process.status != .created { return }
                    _ = try? await client.deleteTask(id, execID: execID)
                    throw error
                }
            }
        } catch {
            stdio?.finish()
            throw error
        }
        var attributes = attributes(of: stored)
        attributes["execID"] = execID
        await events.publish(type: "container", action: "exec_start: \(options.cmd.joined(separator: " "))", id: id, attributes: attributes)
        let handle = ExecHandle(containerID: id, execID: execID, stdio: stdio)
        if options.detach {
            Task { _ = try? await self.finishExec(handle) { _ in } }
        }
        return handle
    }

    /// Streams the exec's output until it exits; returns its exit code and deletes the process.
    func finishExec(_ handle: ExecHandle, send: @Sendable (ProcessStdio.Chunk) async throws -> Void) async throws -> Int32 {
        let link = self.link
        let waiter = Task { try await link.run { try await $0.wait(handle.containerID, execID: handle.execID) } }
        if let stdio = handle.stdio {
            Task {
                _ = try? await waiter.value
                stdio.finish()  // after the exit: the rest of the output, then the end of the stream
            }
            for await chunk in stdio.output { try await send(chunk) }
        }
        let exit = try await waiter.value
        _ = try? await link.run { try await $0.deleteTask(handle.containerID, execID: handle.execID) }
        return Int32(truncatingIfNeeded: exit.exitStatus)
    }

    func resizeExec(_ handle: ExecHandle, _ size: Engine_ConsoleSize) async {
        _ = try? await link.run { try await $0.resize(handle.containerID, execID: handle.execID, width: size.width, height: size.height) }
    }

    func closeExecStdin(_ handle: ExecHandle) async {
        _ = try? await link.run { try await $0.closeStdin(handle.containerID, execID: handle.execID) }
    }

    // MARK: pause, unpause, rename, top

    public func pause(_ reference: String) async throws {
        var stored = try store.resolve(reference)
        let id = stored.inspect.id
        guard stored.inspect.state.status == .running else {
            throw CoreError(.failedPrecondition, stored.inspect.state.status == .paused ? "Container \(id) is already paused" : "Container \(id) is not running")
        }
        try await link.run { try await $0.pause(id) }
        stored.inspect.state.status = .paused
        stored.inspect.state.paused = true
        try await saveContainer(stored)
        notify(id)
        await events.publish(type: "container", action: "pause", id: id, attributes: attributes(of: stored))
    }

    public func unpause(_ reference: String) async throws {
        var stored = try store.resolve(reference)
        let id = stored.inspect.id
        guard stored.inspect.state.status == .paused else { throw CoreError(.failedPrecondition, "Container \(id) is not paused") }
        try await link.run { try await $0.resume(id) }
        stored.inspect.state.status = .running
        stored.inspect.state.paused = false
        try await saveContainer(stored)
        notify(id)
        await events.publish(type: "container", action: "unpause", id: id, attributes: attributes(of: stored))
    }

    public func rename(_ reference: String, to name: String) async throws {
        var stored = try store.resolve(reference)
        let old = stored.inspect.name
        let new = try validName(name)
        stored.inspect.name = new
        try await saveContainer(stored)
        var attributes = attributes(of: stored)
        attributes["oldName"] = "/" + old
        await events.publish(type: "container", action: "rename", id: stored.inspect.id, attributes: attributes)
    }

    /// The container's processes as `ps -ef` shows them: UID PID PPID C STIME TTY TIME CMD.
    public func top(_ reference: String) async throws -> Engine_TopResponse {
        let stored = try store.resolve(reference)
        let id = stored.inspect.id
        guard isActive(stored) else { throw CoreError(.failedPrecondition, "Container \(id) is not running") }
        let pids = try await link.run { try await $0.pids(id) }.map(\.pid).sorted()
        var response = Engine_TopResponse()
        response.titles = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
        for pid in pids {
            guard let row = ProcessTable.row(pid: Int32(pid)) else { continue }
            var out = Engine_TopResponse.Row()
            out.columns = row
            response.processes.append(out)
        }
        return response
    }
}
