// Test harness for berth-shim: runs the real binaries (built next to the test bundle) the way a
// supervisor does — `start` with cwd = bundle, ttrpc through berth's NIO TaskClient — under a
// private work directory, namespace and runtime --root, and removes every shim (by pid),
// container, mount and file it made, also when a test fails. Blocking waits run on their own
// thread, never on Swift's cooperative pool.
import API
import Errdefs
import Foundation
import RPC
import RPCNIO
import Sys
#if canImport(Glibc)
import Glibc
#endif

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` on a dedicated thread and returns its result without blocking the caller's thread.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A program's exit status and its stdout and stderr, each captured in a file.
struct ProgramOutput: Sendable {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a program to completion on a dedicated thread. Output goes to files, never pipes: a
/// daemon the program leaves behind (the shim) inherits nothing we would wait on.
/// The environment is ours with `environment` laid over it, minus $TTRPC_ADDRESS unless given
/// there (a shim must not publish to a supervisor the test did not set up).
func execute(_ executable: String, _ arguments: [String], cwd: String? = nil, input: [UInt8] = [],
             environment: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> ProgramOutput {
    try await blocking {
        let base = NSTemporaryDirectory() + "bshim-out-\(UUID().uuidString)"
        try Data(input).write(to: URL(fileURLWithPath: base + ".in"))
        let stdin = open(base + ".in", O_RDONLY | O_CLOEXEC)
        let out = open(base + ".out", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let err = open(base + ".err", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer {
            close(stdin); close(out); close(err)
            for suffix in [".in", ".out", ".err"] { unlink(base + suffix) }
        }
        var variables = ProcessInfo.processInfo.environment
        variables["TTRPC_ADDRESS"] = nil
        variables.merge(environment) { $1 }
        var spawn = Spawn(executable: executable, arguments: arguments,
                          environment: variables.map { "\($0.key)=\($0.value)" })
        spawn.workingDirectory = cwd
        spawn.fileDescriptors = [stdin, out, err]
        let pid = try spawn.start()
        // This is a thread of its own, so it may block in wait4; a watchdog ends a program that hangs.
        let done = DispatchSemaphore(value: 0)
        let killed = Flag()
        Thread.detachNewThread {
            if done.wait(timeout: .now() + .milliseconds(Int(timeout.components.seconds * 1000))) == .timedOut {
                killed.set()
                kill(pid, SIGKILL)
            }
        }
        let exit = try Spawn.waitForExit(pid)
        done.signal()
        if killed.isSet {
            throw HarnessFailure("\(executable) \(arguments.joined(separator: " ")) did not finish in \(timeout)")
        }
        let stdoutBytes = (FileManager.default.contents(atPath: base + ".out")).map { [UInt8]($0) } ?? []
        let stderrText = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        return ProgramOutput(status: exit.code, stdout: stdoutBytes, stderr: stderrText)
    }
}

/// A flag one thread sets and another reads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

func processAlive(_ pid: Int32) -> Bool {
    guard pid > 0, kill(pid, 0) == 0 else { return false }
    // A zombie still answers kill(0); it is not alive for our purposes.
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].hasPrefix(" Z")
}

final class ShimHarness: @unchecked Sendable {
    static let binaries: (shim: String, runtime: String)? = {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<3 {
            let shim = dir.appendingPathComponent("berth-shim").path
            let runtime = dir.appendingPathComponent("berth-runtime").path
            if FileManager.default.isExecutableFile(atPath: shim), FileManager.default.isExecutableFile(atPath: runtime) {
                return (shim, runtime)
            }
            dir.deleteLastPathComponent()
        }
        return nil
    }()

    let work: String
    let namespace: String
    let runtimeRoot: String
    let shimBinary: String
    let runtimeBinary: String
    private let lock = NSLock()
    private var shimPIDs: [Int32] = []
    private var containers: [(id: String, bundle: String)] = []
    private var clients: [RPCClient] = []
    private var children: [Int32] = []

    init() throws {
        guard getuid() == 0 else { throw HarnessFailure("the shim tests run as root (scripts/test.sh runs them so)") }
        guard let binaries = Self.binaries else { throw HarnessFailure("berth-shim or berth-runtime not built next to the tests") }
        shimBinary = binaries.shim
        runtimeBinary = binaries.runtime
        let tag = UUID().uuidString.prefix(8).lowercased()
        work = "/tmp/bshim-\(tag)"  // short: the socket path must stay under 107 bytes
        namespace = "bshim-\(getpid())-\(tag)"
        runtimeRoot = work + "/runtime"
        try FileManager.default.createDirectory(atPath: "\(work)/\(namespace)", withIntermediateDirectories: true)
    }

    var address: String { "\(work)/containerd.sock" }

    /// $BERTH_TEST_IMAGE, else the repository's .build-test-image (scripts/test.sh's default).
    static func testImage() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["BERTH_TEST_IMAGE"], !dir.isEmpty { return dir }
        var repository = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { repository.deleteLastPathComponent() }
        let fallback = repository.path + "/.build-test-image"
        if FileManager.default.fileExists(atPath: fallback + "/bundle/config.json") { return fallback }
        throw HarnessFailure("set BERTH_TEST_IMAGE (scripts/make-test-image.sh DIR makes one)")
    }

    /// `<work>/<ns>/<id>`: the test bundle running `args` (the bundle's basename is the id, as
    /// containerd lays bundles out).
    /// With `terminal`, the process gets a tty (24 rows, 80 columns). With `cpus`, the container
    /// may use that share of one CPU (a CFS quota): writers that flood their shim on purpose must
    /// not take a core from the rest of the suite.
    func bundle(id: String, args: [String], terminal: Bool = false, cpus: Double? = nil) throws -> String {
        let path = "\(work)/\(namespace)/\(id)"
        try FileManager.default.copyItem(atPath: try Self.testImage() + "/bundle", toPath: path)
        let url = URL(fileURLWithPath: path + "/config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var process = config["process"] as! [String: Any]
        process["args"] = args
        if terminal {
            process["terminal"] = true
            process["consoleSize"] = ["height": 24, "width": 80]
        }
        config["process"] = process
        if let cpus {
            var linux = config["linux"] as! [String: Any]
            var resources = linux["resources"] as? [String: Any] ?? [:]
            resources["cpu"] = ["quota": Int(cpus * 100_000), "period": 100_000]
            linux["resources"] = resources
            config["linux"] = linux
        }
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        lock.withLock { containers.append((id, path)) }
        return path
    }

    func flags(id: String) -> [String] {
        ["-namespace", namespace, "-address", address, "-publish-binary", "/bin/false", "-id", id]
    }

    /// `berth-shim … start` in `bundle`; returns the printed address and the daemon's pid. With
    /// `events`, the shim publishes to that socket ($TTRPC_ADDRESS).
    func startShim(id: String, bundle: String, input: [UInt8] = [],
                   events: String? = nil) async throws -> (address: String, pid: Int32) {
        let result = try await execute(shimBinary, flags(id: id) + ["start"], cwd: bundle, input: input,
                                       environment: events.map { ["TTRPC_ADDRESS": $0] } ?? [:])
        guard result.status == 0 else { throw HarnessFailure("shim start failed: \(result.stderr)") }
        let pidText = try String(contentsOfFile: bundle + "/shim.pid", encoding: .utf8)
        guard let pid = Int32(pidText) else { throw HarnessFailure("bad shim.pid \(pidText)") }
        lock.withLock { shimPIDs.append(pid) }
        return (result.stdoutText, pid)
    }

    func client(_ address: String) async throws -> TaskClient {
        let rpc = try await RPCClient.connect(path: address)
        lock.withLock { clients.append(rpc) }
        return TaskClient(rpc: rpc, namespace: namespace)
    }

    /// A Create for `id` whose runtime keeps its state under the harness's private --root.
    func createRequest(id: String, bundle: String, stdin: String = "", stdout: String = "",
                       stderr: String = "", terminal: Bool = false) throws -> Containerd_Task_V2_CreateTaskRequest {
        var options = Containerd_Runc_V1_Options()
        options.root = runtimeRoot
        var request = Containerd_Task_V2_CreateTaskRequest()
        request.id = id
        request.bundle = bundle
        request.stdin = stdin
        request.stdout = stdout
        request.stderr = stderr
        request.terminal = terminal
        request.options.typeURL = "containerd.runc.v1.Options"  // containerd's URLs carry no prefix
        request.options.value = try options.serializedData()
        return request
    }

    /// A container `id` running `args` under a fresh shim: bundle, `start`, a client, Create (with
    /// the given stdio fifos) and, if `start`, Start.
    func container(_ id: String, _ args: [String], stdin: String = "", stdout: FifoReader? = nil,
                   stderr: FifoReader? = nil, start: Bool = true, events: String? = nil,
                   terminal: Bool = false) async throws -> RunningContainer {
        let bundle = try self.bundle(id: id, args: args, terminal: terminal)
        let shim = try await startShim(id: id, bundle: bundle, events: events)
        let task = try await client(shim.address)
        let created = try await task.create(createRequest(id: id, bundle: bundle, stdin: stdin, stdout: stdout?.path ?? "",
                                                          stderr: stderr?.path ?? "", terminal: terminal), timeout: .seconds(30))
        if start { _ = try await task.start(id: id) }
        return RunningContainer(id: id, bundle: bundle, address: shim.address, shimPID: shim.pid, task: task, pid: created.pid)
    }

    /// Remembers a child process (a test client) to kill and reap at cleanup.
    func adopt(child pid: Int32) { lock.withLock { children.append(pid) } }

    func cleanup() async {
        let (rpcs, shims, made, kids) = lock.withLock { (clients, shimPIDs, containers, children) }
        for rpc in rpcs { await rpc.close() }
        for pid in kids {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
        for pid in shims where processAlive(pid) { kill(pid, SIGKILL) }
        for (id, bundle) in made {
            _ = try? await execute(runtimeBinary, ["--root", runtimeRoot, "delete", "--force", id])
            while umount2(bundle + "/rootfs", Int32(MNT_DETACH)) == 0 {}
        }
        // Gone from the process table, not just dead: a zombie waiting for init to reap it would
        // still show up in scripts/check-leftovers.sh.
        _ = await eventually(timeout: .seconds(5)) { shims.allSatisfy { kill($0, 0) != 0 } }
        try? FileManager.default.removeItem(atPath: work)
    }
}

struct RunningContainer: Sendable {
    var id: String
    var bundle: String
    var address: String
    var shimPID: Int32
    var task: TaskClient
    /// The container's init pid.
    var pid: UInt32
}

/// The Task calls the tests make, with their one-field requests filled in.
extension TaskClient {
    @discardableResult
    func start(id: String) async throws -> UInt32 {
        var request = Containerd_Task_V2_StartRequest()
        request.id = id
        return try await start(request, timeout: .seconds(30)).pid
    }

    func state(id: String) async throws -> Containerd_Task_V2_StateResponse {
        var request = Containerd_Task_V2_StateRequest()
        request.id = id
        return try await state(request, timeout: .seconds(10))
    }

    func wait(id: String) async throws -> Containerd_Task_V2_WaitResponse {
        var request = Containerd_Task_V2_WaitRequest()
        request.id = id
        return try await wait(request, timeout: .seconds(60))
    }

    func kill(id: String, signal: Int32, all: Bool = false) async throws {
        var request = Containerd_Task_V2_KillRequest()
        request.id = id
        request.signal = UInt32(signal)
        request.all = all
        _ = try await kill(request, timeout: .seconds(10))
    }

    @discardableResult
    func delete(id: String) async throws -> Containerd_Task_V2_DeleteResponse {
        var request = Containerd_Task_V2_DeleteRequest()
        request.id = id
        return try await delete(request, timeout: .seconds(30))
    }

    func connect(id: String) async throws -> Containerd_Task_V2_ConnectResponse {
        var request = Containerd_Task_V2_ConnectRequest()
        request.id = id
        return try await connect(request, timeout: .seconds(10))
    }
}

/// Runs `body` with a harness that is cleaned up whatever happens.
func withShim(_ body: (ShimHarness) async throws -> Void) async throws {
    let harness = try ShimHarness()
    do {
        try await body(harness)
    } catch {
        await harness.cleanup()
        throw error
    }
    await harness.cleanup()
}

/// A fifo with our read end open (non-blocking), as containerd opens a container's stdio fifos.
final class FifoReader: @unchecked Sendable {
    let path: String
    private let fd: FileDescriptor

    init(_ path: String) throws {
        guard mkfifo(path, 0o600) == 0 else { throw HarnessFailure("mkfifo \(path): errno \(errno)") }
        self.path = path
        fd = try FileDescriptor.open(path, flags: O_RDONLY | O_NONBLOCK)
    }

    private let lock = NSLock()
    private var received: [UInt8] = []

    /// What has been written so far (and not returned before), without waiting.
    func available() -> String {
        let text = peek()
        lock.withLock { received = [] }
        return text
    }

    /// Everything written since the last `available()`, without waiting or consuming it.
    func peek() -> String {
        lock.withLock {
            while let chunk = try? fd.read(upToCount: 65536), !chunk.isEmpty { received += chunk }
            return String(decoding: received, as: UTF8.self)
        }
    }
}

extension CoreError {
    /// The code of a CoreError thrown by `body`, or nil if it succeeded.
    static func code(of body: () async throws -> Void) async -> ErrorCode? {
        do {
            try await body()
            return nil
        } catch let error as CoreError {
            return error.code
        } catch {
            return .unknown
        }
    }
}
