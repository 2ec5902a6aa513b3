// SupervisorProcess: keeps berth-supervisor running for the engine, as dockerd does containerd.
// The supervisor is started in its own session (a SIGKILL of the engine does not reach it, so
// containers keep running), its pid kept in <exec-root>/supervisor/supervisor.pid; an engine
// that starts again adopts the supervisor it finds there alive and answering. When the
// supervisor dies it is started again; it re-attaches its shims, so running containers are not
// disturbed.
import Errdefs
import Foundation
import Glibc
import Logging
import RPCNIO
import Synchronization
import Sys

public final class SupervisorProcess: Sendable {
    let config: EngineConfig
    let logger: Logger
    private let current = Mutex<pid_t>(0)
    private let stopping = Mutex<Bool>(false)

    public init(config: EngineConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    var directory: String { config.execRoot + "/supervisor" }
    var pidFile: String { directory + "/supervisor.pid" }
    /// The supervisor's pid (0 before start).
    public var pid: pid_t { current.withLock { $0 } }

    /// Adopts a live supervisor or starts one, waits until it answers, and watches it.
    public func start() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        if let pid = adoptable() {
            current.withLock { $0 = pid }
            logger.info("adopted the running supervisor", metadata: ["pid": "\(pid)"])
            watchAdopted(pid)
            return
        }
        try await launch()
    }

    /// Stops watching (the supervisor itself keeps running: live restore).
    public func detach() { stopping.withLock { $0 = true } }

    private func adoptable() -> pid_t? {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
           let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, isOurs(pid) { return pid }
        // An engine killed between spawning a supervisor and recording its pid left it unrecorded:
        // find it, or a second supervisor would serve the same state beside it.
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        guard let orphan = pids.first(where: isOurs) else { return nil }
        try? "\(orphan)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        return orphan
    }

    /// A live berth-supervisor serving our socket: its program is berth-supervisor and its
    /// `--address` our socket (a shim names the supervisor's socket and binary in its arguments
    /// too, and must never be taken for it).
    private func isOurs(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              !stat.contains(") Z"), let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
        let arguments = cmdline.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        guard let program = arguments.first, program.hasSuffix("berth-supervisor"),
              let flag = arguments.firstIndex(of: "--address"), flag + 1 < arguments.count else { return false }
        return arguments[flag + 1] == config.supervisorSocket
    }

    private func launch() async throws {
        let log = open(config.dataRoot + "/supervisor.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if log >= 0 { Glibc.close(log) }; if null >= 0 { Glibc.close(null) } }
        var spawn = Spawn(executable: config.supervisorBinary, arguments: [
            "--root", config.dataRoot + "/supervisor", "--state", directory,
            "--address", config.supervisorSocket,
        ], environment: MallocThreadCache.environment(forDaemon: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }))
        spawn.fileDescriptors = [null, log >= 0 ? log : 2, log >= 0 ? log : 2]
        spawn.options = [.newSession]
        let pid = try spawn.start()
        current.withLock { $0 = pid }
        try "\(pid)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        logger.info("started berth-supervisor", metadata: ["pid": "\(pid)", "address": "\(config.supervisorSocket)"])
        watchChild(pid)
        do { try await waitUntilAnswering(pid) } catch {
            // Dead, or alive and mute (then killed): either way its watcher starts the next one.
            kill(pid, SIGKILL)
            throw ChildGone(error: error)
        }
    }

    /// A launched supervisor that died (or was killed) before it answered; its watcher restarts it.
    struct ChildGone: Error, CustomStringConvertible {
        var error: any Error
        var description: String { "\(error)" }
    }

    /// Waits until the socket accepts a connection (the supervisor listens once it has restored its tasks).
    private func waitUntilAnswering(_ pid: pid_t) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let client = try? await RPCClient.connect(path: config.supervisorSocket) {
                await client.close()
                return
            }
            guard kill(pid, 0) == 0 else { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw CoreError(.unavailable, "berth-supervisor (pid \(pid)) did not answer on \(config.supervisorSocket); see \(config.dataRoot)/supervisor.log")
    }

    /// Reaps our child on a thread of its own; starts a new supervisor when it dies.
    private func watchChild(_ pid: pid_t) {
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            Task { await self.died(pid, status: "\(ExitStatus(waitStatus: status).map { "\($0)" } ?? "\(status)")") }
        }
        thread.name = "supervisor-reaper"
        thread.start()
    }

    /// Polls a supervisor we did not start (our parent may have been another engine process).
    private func watchAdopted(_ pid: pid_t) {
        Task {
            while isOurs(pid) {  // (not only kill(pid, 0): a dead one stays a zombie until init reaps it)
                if stopping.withLock({ $0 }) { return }
                try? await Task.sleep(for: .milliseconds(500))
            }
            await died(pid, status: "gone")
        }
    }

    /// Starts the next supervisor when the current one (`pid`) died. Only the supervisor we run
    /// counts, and only once: a launch whose child dies before answering leaves the restart to
    /// that child's watcher, so two supervisors never start side by side on one socket.
    private func died(_ pid: pid_t, status: String) async {
        if stopping.withLock({ $0 }) { return }
        let claimed = current.withLock { running -> Bool in
            guard running == pid else { return false }
            running = 0
            return true
        }
        guard claimed else { return }
        logger.warning("berth-supervisor exited; starting it again", metadata: ["pid": "\(pid)", "status": "\(status)"])
        var delay = Duration.milliseconds(100)
        while !stopping.withLock({ $0 }) {
            try? await Task.sleep(for: delay)  // (a supervisor that dies at once is not restarted in a hot loop)
            do { try await launch(); return } catch let gone as ChildGone {
                logger.error("berth-supervisor died before it answered", metadata: ["error": "\(gone)"])
                return
            } catch {
                logger.error("cannot start berth-supervisor", metadata: ["error": "\(error)"])
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
