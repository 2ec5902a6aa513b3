// SupervisorHarness: a real berth-supervisor process on private directories under /tmp (its
// own root, state, socket and runtime root), a client for it, containers made from the test
// image's bundle, and a cleanup that leaves nothing behind even when a test fails: shims killed
// by pid, containers deleted through the runtime, rootfs mounts detached, directories removed.
import API
import Errdefs
import Foundation
import RPCNIO
import SwiftProtobuf
import Sys
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct HarnessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

final class SupervisorHarness: @unchecked Sendable {
    static let binaries: (supervisor: String, shim: String, runtime: String)? = {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<3 {
            let names = ["berth-supervisor", "berth-shim", "berth-runtime"].map { dir.appendingPathComponent($0).path }
            if names.allSatisfy({ FileManager.default.isExecutableFile(atPath: $0) }) { return (names[0], names[1], names[2]) }
            dir.deleteLastPathComponent()
        }
        return nil
    }()

    let work: String
    let runtimeRoot: String
    let binaries: (supervisor: String, shim: String, runtime: String)
    private let lock = NSLock()
    private var supervisorPID: Int32 = 0
    private var clients: [RPCClient] = []

    init() throws {
        guard getuid() == 0 else { throw HarnessFailure("the supervisor tests run as root") }
        guard let binaries = Self.binaries else { throw HarnessFailure("berth-supervisor, berth-shim or berth-runtime not built") }
        self.binaries = binaries
        work = "/tmp/bsup-\(UUID().uuidString.prefix(8).lowercased())"
        runtimeRoot = work + "/runtime"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    var address: String { "\(work)/run/supervisor.sock" }
    /// The namespace berth-ctr runs use (its containers' cgroups go under /NAMESPACE/ID).
    var ctrNamespace: String { "berth-test-ctr-\(work.suffix(8))" }
    var pid: Int32 { lock.withLock { supervisorPID } }

    /// Starts berth-supervisor and waits until its socket answers; returns a client.
    func start(fault: String? = nil, environment: [String] = []) async throws -> SupervisorClient {
        // A supervisor that killed itself at a fault point may still be dying, its listening socket
        // open: a client would connect to it and be reset. Reap it first.
        let previous = lock.withLock { supervisorPID }
        if previous > 0 {
            var status: Int32 = 0
            let deadline = ContinuousClock.now + .seconds(10)
            while waitpid(previous, &status, WNOHANG) == 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let log = open("\(work)/supervisor.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(log); close(null) }
        var spawn = Spawn(executable: binaries.supervisor,
                          arguments: ["--root", "\(work)/lib", "--state", "\(work)/run", "--address", address, "--log-level", "debug"],
                          environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"] + (fault.map { ["BERTH_FAULT=\($0)"] } ?? []) + environment)
        spawn.fileDescriptors = [null, log, log]
        let pid = try spawn.start()
        lock.withLock { supervisorPID = pid }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let rpc = try? await RPCClient.connect(path: address) {
                lock.withLock { clients.append(rpc) }
                return SupervisorClient(rpc: rpc, namespace: "test")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessFailure("berth-supervisor did not listen within 20 s: \(supervisorLog)")
    }

    var supervisorLog: String { (try? String(contentsOfFile: "\(work)/supervisor.log", encoding: .utf8)) ?? "" }

    /// SIGKILLs the supervisor and reaps it.
    func killSupervisor() {
        let pid = lock.withLock { supervisorPID }
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        _ = try? Spawn.waitForExit(pid)
        lock.withLock { supervisorPID = 0 }
    }

    /// A container record running `args` in the test image's rootfs (the bundle's config.json).
    func container(_ id: String, _ args: [String], runtime: String = "io.containerd.berth.v1") throws -> Supervisor_Container {
        let image = try Self.testImage()
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: image + "/bundle/config.json"))) as! [String: Any]
        var process = config["process"] as! [String: Any]
        process["args"] = args
        config["process"] = process
        // A cgroup of its own that scripts/check-leftovers.sh would report if it were left behind.
        var linux = config["linux"] as? [String: Any] ?? [:]
        linux["cgroupsPath"] = "/berth-test-sup-\(work.suffix(8))-\(id)"
        config["linux"] = linux
        var options = Containerd_Runc_V1_Options()
        options.root = runtimeRoot
        options.binaryName = binaries.runtime
        var container = Supervisor_Container()
        container.id = id
        container.runtime.name = runtime
        container.runtime.options.typeURL = "containerd.runc.v1.Options"
        container.runtime.options.value = try options.serializedData()
        container.spec = Google_Protobuf_Any(ociType: "Spec", json: [UInt8](try JSONSerialization.data(withJSONObject: config)))
        container.labels = ["test": "supervisor"]
        return container
    }

    /// A task request whose rootfs is a read-only bind mount of the test image's rootfs.
    func taskRequest(_ id: String, stdout: String = "", stderr: String = "") throws -> Supervisor_CreateTaskRequest {
        var mount = Containerd_Types_Mount()
        mount.type = "bind"
        mount.source = try Self.testImage() + "/rootfs"
        mount.options = ["rbind", "ro"]
        var request = Supervisor_CreateTaskRequest()
        request.containerID = id
        request.rootfs = [mount]
        request.stdout = stdout
        request.stderr = stderr
        return request
    }

    /// Creates the container and its task, and starts it.
    @discardableResult
    func run(_ client: SupervisorClient, _ id: String, _ args: [String], runtime: String = "io.containerd.berth.v1",
             stdout: String = "", stderr: String = "") async throws -> UInt32 {
        try await client.createContainer(container(id, args, runtime: runtime))
        _ = try await client.createTask(taskRequest(id, stdout: stdout, stderr: stderr))
        return try await client.startTask(id)
    }

    static func testImage() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["BERTH_TEST_IMAGE"], !dir.isEmpty { return dir }
        var repository = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { repository.deleteLastPathComponent() }
        let fallback = repository.path + "/.build-test-image"
        if FileManager.default.fileExists(atPath: fallback + "/bundle/config.json") { return fallback }
        throw HarnessFailure("set BERTH_TEST_IMAGE (scripts/make-test-image.sh DIR makes one)")
    }

    /// The pid in a task bundle's shim.pid.
    func shimPID(namespace: String = "test", _ id: String) -> Int32? {
        let text = (try? String(contentsOfFile: "\(work)/run/tasks/\(namespace)/\(id)/shim.pid", encoding: .utf8)) ?? ""
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func cleanup() async {
        for rpc in lock.withLock({ clients }) { await rpc.close() }
        killSupervisor()
        let tasks = "\(work)/run/tasks"
        var shims: [Int32] = []
        for namespace in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            for id in (try? FileManager.default.contentsOfDirectory(atPath: "\(tasks)/\(namespace)")) ?? [] {
                if let pid = shimPID(namespace: namespace, id), pid > 0 {
                    kill(pid, SIGKILL)
                    shims.append(pid)
                }
                var spawn = Spawn(executable: binaries.runtime, arguments: ["--root", runtimeRoot, "delete", "--force", id])
                if let pid = try? spawn.start() { _ = try? Spawn.waitForExit(pid) }
                spawn.arguments = []
                while umount2("\(tasks)/\(namespace)/\(id)/rootfs", Int32(MNT_DETACH)) == 0 {}
            }
        }
        // Gone from the process table, not just dead (init reaps them a moment later).
        _ = await eventually(timeout: .seconds(5)) { shims.allSatisfy { kill($0, 0) != 0 } }
        for controller in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            rmdir("/sys/fs/cgroup/\(controller)/\(ctrNamespace)")
        }
        try? FileManager.default.removeItem(atPath: "/run/berth/ctr-fifo/\(ctrNamespace)")  // berth-ctr's task fifos
        try? FileManager.default.removeItem(atPath: work)
    }
}

func withSupervisor(environment: [String] = [],
                    _ body: (SupervisorHarness, SupervisorClient) async throws -> Void) async throws {
    let harness = try SupervisorHarness()
    do {
        try await body(harness, try await harness.start(environment: environment))
    } catch {
        let log = harness.supervisorLog
        await harness.cleanup()
        Issue.record("supervisor log:\n\(log.suffix(3000))")
        throw error
    }
    await harness.cleanup()
}

func eventually(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

func parentOf(_ pid: Int32) -> Int32 {
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) ?? 0 : 0
}

extension CoreError {
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
