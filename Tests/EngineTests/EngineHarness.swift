// EngineHarness: a real berth-engine (which starts its own berth-supervisor) on private
// directories under /tmp, with its own supervisor namespace and cgroup parent, the `berth` CLI
// run against it as a user would, and a cleanup that leaves nothing behind even when a test
// fails: containers removed through the engine, then daemons and shims killed by pid, runtime
// state deleted, mounts under the work directory detached, cgroups and directories removed.
import Foundation
import Sys
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct HarnessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What a `berth` command did.
struct CommandResult {
    var status: Int32
    var out: String
    var err: String
}

final class EngineHarness: @unchecked Sendable {
    static let binDirectory: String? = {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<3 {
            let names = ["berth", "berth-engine", "berth-supervisor", "berth-shim", "berth-runtime"]
            if names.allSatisfy({ FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent($0).path) }) { return dir.path }
            dir.deleteLastPathComponent()
        }
        return nil
    }()

    let work: String
    let bin: String
    let suffix: String
    private let lock = NSLock()
    private var enginePID: Int32 = 0

    init() throws {
        guard getuid() == 0 else { throw HarnessFailure("the engine tests run as root") }
        guard let bin = Self.binDirectory else { throw HarnessFailure("berth, berth-engine, berth-supervisor, berth-shim or berth-runtime not built") }
        self.bin = bin
        suffix = String(UUID().uuidString.prefix(8).lowercased())
        work = "/tmp/beng-\(suffix)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    var socket: String { "\(work)/engine.sock" }
    var namespace: String { "berth-test-eng-\(suffix)" }
    var cgroupParent: String { "/berth-test-eng-\(suffix)" }
    var supervisorPIDFile: String { "\(work)/run/supervisor/supervisor.pid" }
    var pid: Int32 { lock.withLock { enginePID } }

    /// Starts berth-engine and waits until it answers.
    func start(extraArguments: [String] = [], environment: [String] = []) async throws {
        let log = open("\(work)/engine.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(log); close(null) }
        var spawn = Spawn(executable: "\(bin)/berth-engine", arguments: [
            "--data-root", "\(work)/data", "--exec-root", "\(work)/run", "-H", "unix://\(socket)",
            "--supervisor-namespace", namespace, "--cgroup-parent", cgroupParent, "--log-level", "debug",
        ] + extraArguments, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"] + environment)
        spawn.fileDescriptors = [null, log, log]
        let pid = try spawn.start()
        lock.withLock { enginePID = pid }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await berth(["version"]).status == 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessFailure("berth-engine did not answer within 30 s:\n\(engineLog)")
    }

    var engineLog: String { (try? String(contentsOfFile: "\(work)/engine.log", encoding: .utf8)) ?? "" }

    /// SIGKILLs the engine and reaps it (its supervisor and containers live on).
    func killEngine() {
        let pid = lock.withLock { enginePID }
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        _ = try? Spawn.waitForExit(pid)
        lock.withLock { enginePID = 0 }
    }

    /// Waits (up to `timeout`) for the engine to end by itself (a fault point), and reaps it.
    func engineExited(timeout: Duration = .seconds(30)) async -> Bool {
        let pid = lock.withLock { enginePID }
        guard pid > 0 else { return true }
        let reaped = await eventually(timeout: timeout) {
            var status: Int32 = 0
            return waitpid(pid, &status, WNOHANG) == pid
        }
        if reaped { lock.withLock { enginePID = 0 } }
        return reaped
    }

    var supervisorPID: Int32? {
        Int32(((try? String(contentsOfFile: supervisorPIDFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Runs `berth ARGS` against this engine. The wait for it happens on a thread of its own: a
    /// blocking wait on Swift's cooperative pool (two threads here) would stall every other test
    /// running in this process meanwhile.
    /// A command that has not finished after `timeout` is killed and reported with the engine's
    /// log, so a hang in the engine fails its test instead of stalling the whole run.
    @discardableResult
    func berth(_ arguments: [String], stdin: String? = nil, timeout: Duration = .seconds(60)) async throws -> CommandResult {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try self.berthBlocking(arguments, stdin: stdin, timeout: timeout) }) }
            thread.start()
        }
    }

    private func berthBlocking(_ arguments: [String], stdin: String?, timeout: Duration) throws -> CommandResult {
        let base = "\(work)/cmd-\(UUID().uuidString.prefix(8))"
        if let stdin { try stdin.write(toFile: base + ".in", atomically: false, encoding: .utf8) }
        let input = open(stdin == nil ? "/dev/null" : base + ".in", O_RDONLY | O_CLOEXEC)
        let out = open(base + ".out", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        let err = open(base + ".err", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(input); close(out); close(err) }
        var spawn = Spawn(executable: "\(bin)/berth", arguments: ["-H", "unix://\(socket)"] + arguments, environment: ["PATH=/usr/bin:/bin"])
        spawn.fileDescriptors = [input, out, err]
        let child = try spawn.start()
        let timedOut = Watchdog(pid: child, after: timeout)
        var info = siginfo_t()
        while waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}  // exited, not yet reaped
        let fired = timedOut.cancel()  // so the watchdog can never signal a reused pid
        let status = try Spawn.waitForExit(child)
        defer { for ext in [".in", ".out", ".err"] { unlink(base + ext) } }
        if fired {
            throw HarnessFailure("berth \(arguments.joined(separator: " ")) did not finish within \(timeout); engine log:\n\(engineLog.suffix(4000))")
        }
        let code: Int32 = if case .exited(let value) = status { value } else { -1 }
        return CommandResult(status: code, out: try String(contentsOfFile: base + ".out", encoding: .utf8),
                             err: try String(contentsOfFile: base + ".err", encoding: .utf8))
    }

    /// Loads the busybox test image.
    func loadBusybox() async throws {
        let result = try await berth(["load", "-i", try Self.testImage() + "/busybox-oci.tar"])
        guard result.status == 0 else { throw HarnessFailure("load failed: \(result.err)") }
    }

    static func testImage() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["BERTH_TEST_IMAGE"], !dir.isEmpty { return dir }
        var repository = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { repository.deleteLastPathComponent() }
        let fallback = repository.path + "/.build-test-image"
        if FileManager.default.fileExists(atPath: fallback + "/busybox-oci.tar") { return fallback }
        throw HarnessFailure("set BERTH_TEST_IMAGE (scripts/make-test-image.sh DIR makes one)")
    }

    func cleanup() async {
        if pid > 0, let ids = try? await berth(["ps", "-aq", "--no-trunc"]).out.split(separator: "\n"), !ids.isEmpty {
            _ = try? await berth(["rm", "-f"] + ids.map(String.init))
        }
        killEngine()
        var dead: [Int32] = []
        if let supervisor = supervisorPID, supervisor > 0 {
            kill(supervisor, SIGKILL)
            dead.append(supervisor)
        }
        let tasks = "\(work)/run/supervisor/tasks/\(namespace)"
        for id in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            let text = (try? String(contentsOfFile: "\(tasks)/\(id)/shim.pid", encoding: .utf8)) ?? ""
            if let shim = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), shim > 0 {
                kill(shim, SIGKILL)
                dead.append(shim)
            }
            var spawn = Spawn(executable: "\(bin)/berth-runtime", arguments: ["--root", "/run/berth/runtime/\(namespace)", "delete", "--force", id])
            if let child = try? spawn.start() { _ = try? Spawn.waitForExit(child) }
        }
        try? FileManager.default.removeItem(atPath: "/run/berth/runtime/\(namespace)")  // (with its seccomp cache)
        cleanupNetworks()
        _ = await eventually(timeout: .seconds(5)) {
            dead.allSatisfy { pid in
                var status: Int32 = 0
                _ = waitpid(pid, &status, WNOHANG)  // a supervisor the test started itself is its child
                return kill(pid, 0) != 0
            }
        }
        // Mounts under the work directory (container rootfs overlays), deepest first.
        let mounts = ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { line -> String? in
                let fields = line.split(separator: " ")
                return fields.count > 4 && fields[4].hasPrefix(work) ? String(fields[4]) : nil
            }.sorted { $0.count > $1.count }
        for mount in mounts { umount2(mount, Int32(MNT_DETACH)) }
        for controller in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            let parent = "/sys/fs/cgroup/\(controller)\(cgroupParent)"
            for child in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] { rmdir("\(parent)/\(child)") }
            rmdir(parent)
        }
        try? FileManager.default.removeItem(atPath: work)
    }
}

/// SIGKILLs `pid` unless cancelled within `after`; `cancel()` says whether it fired.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var fired = false

    init(pid: pid_t, after: Duration) {
        let seconds = Double(after.components.seconds) + Double(after.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            lock.withLock {
                guard !done else { return }
                fired = true
                kill(pid, SIGKILL)
            }
        }
    }

    /// Stops the watchdog (call once the child was reaped); true if it had killed the child.
    func cancel() -> Bool {
        lock.withLock {
            done = true
            return fired
        }
    }
}

/// Runs `body` with a started engine (busybox loaded), cleaning up afterwards whatever happens.
/// `startArguments` prepares what the engine needs before it starts and gives its extra flags.
func withEngine(loadBusybox: Bool = true, startArguments: (EngineHarness) throws -> [String] = { _ in [] },
                environment: [String] = [], _ body: (EngineHarness) async throws -> Void) async throws {
    let harness = try EngineHarness()
    do {
        try await harness.start(extraArguments: try startArguments(harness), environment: environment)
        if loadBusybox { try await harness.loadBusybox() }
        try await body(harness)
    } catch {
        let log = harness.engineLog
        await harness.cleanup()
        Issue.record("engine log:\n\(log.suffix(4000))")
        throw error
    }
    await harness.cleanup()
}

/// Runs blocking work (a wait, a poll) on a thread of its own, off Swift's cooperative pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
