// Engine+Logs: `logs` (with --tail, --since, --until, -f) and attach's output, both read from
// the json-file log the shim writes — so nothing a container printed while no one was attached,
// or while the engine was down, is missed. Following polls the file (10 ms, slowing to 200 ms
// when idle) and ends once the container has exited and the file is drained.
import API
import Errdefs
import Foundation
import SwiftProtobuf

extension Engine {
    public func logs(_ request: Engine_LogsRequest, send: @Sendable (Engine_LogChunk) async throws -> Void) async throws {
        let stored = try store.resolve(request.id)
        let id = stored.inspect.id
        guard !stored.inspect.logPath.isEmpty else {
            throw CoreError(.failedPrecondition, "configured logging driver does not support reading")
        }
        let wantOut = request.stdout || !request.stderr
        let wantErr = request.stderr || !request.stdout
        let since = request.hasSince ? request.since.date : nil
        let until = request.hasUntil ? request.until.date : nil
        func keep(_ entry: LogEntry) -> Bool {
            guard entry.stderr ? wantErr : wantOut else { return false }
            if let since, let time = entry.time, time < since { return false }
            if let until, let time = entry.time, time > until { return false }
            return true
        }
        // The current file is opened first, so nothing written while the rotated ones are read is lost.
        let follower = LogFollower(path: stored.inspect.logPath, fromStart: true)
        var history = LogFile.entries(rotatedOnly: stored.inspect.logPath) + follower.read()
        history = history.filter(keep)
        if request.hasTail, request.tail >= 0 { history = Array(history.suffix(Int(request.tail))) }
        for entry in history { try await send(Self.chunk(entry)) }
        guard request.follow else { return }
        var delay = Duration.milliseconds(10)
        while true {
            let active = store.byID[id].map { isActive($0) || $0.inspect.state.status == .restarting } ?? false
            let fresh = follower.read().filter(keep)
            for entry in fresh { try await send(Self.chunk(entry)) }
            if !active && fresh.isEmpty { return }
            delay = fresh.isEmpty ? min(delay * 2, .milliseconds(200)) : .milliseconds(10)
            await awaitChange(id, deadline: ContinuousClock.now + delay)
        }
    }

    /// Attach's output: stdout and stderr from the log (from its start with `logs`, else from now)
    /// until the container's next exit.
    public func attachOutput(_ options: Engine_AttachOptions, send: @Sendable (Engine_StdioChunk) async throws -> Void) async throws {
        let stored = try store.resolve(options.id)
        let id = stored.inspect.id
        // A stopped container may be attached to (`start -a` attaches, then starts): the output
        // runs until its next exit. `berth attach` refuses stopped containers itself, as docker's CLI.
        // With `logs`, a stopped container's log is sent and the call ends.
        let status = stored.inspect.state.status
        let stoppedLogs = options.logs && !(isActive(stored) || status == .created || status == .restarting)
        guard !stored.inspect.logPath.isEmpty else {
            throw CoreError(.failedPrecondition, "attach needs a log (the container runs with --log-driver none)")
        }
        let wantOut = options.stdout || !options.stderr
        let wantErr = options.stderr || !options.stdout
        let exitsAtStart = exits[id]?.count ?? 0
        let follower = LogFollower(path: stored.inspect.logPath, fromStart: options.logs)
        var delay = Duration.milliseconds(10)
        while true {
            let done = stoppedLogs || (exits[id]?.count ?? 0) > exitsAtStart || store.byID[id] == nil
            let fresh = follower.read().filter { $0.stderr ? wantErr : wantOut }
            for entry in fresh {
                var chunk = Engine_StdioChunk()
                chunk.fd = entry.stderr ? 2 : 1
                chunk.data = Data(entry.data)
                try await send(chunk)
            }
            if done { return }
            // Interactive sessions poll at 20 ms at most, so typing echoes at once.
            delay = fresh.isEmpty ? min(delay * 2, .milliseconds(options.stdin ? 20 : 200)) : .milliseconds(10)
            await awaitChange(id, deadline: ContinuousClock.now + delay)
        }
    }

    static func chunk(_ entry: LogEntry) -> Engine_LogChunk {
        var chunk = Engine_LogChunk()
        chunk.stream = entry.stderr ? .stderr : .stdout
        chunk.data = Data(entry.data)
        if let time = entry.time { chunk.timestamp = Google_Protobuf_Timestamp(date: time) }
        chunk.partial = entry.data.last != 0x0A
        return chunk
    }
}
