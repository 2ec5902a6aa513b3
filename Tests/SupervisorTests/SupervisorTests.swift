// SupervisorTests: a real berth-supervisor driven through SupervisorClient — namespaces and
// container records with their errors, a task's whole life through berth-shim and through
// Debian's containerd-shim-runc-v2 with the events a subscriber sees, exec, and Wait from two
// clients at once.
import API
import Errdefs
import Foundation
import RPCNIO
import SwiftProtobuf
import Sys
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.offPool) struct SupervisorTests {
    @Test func namespacesAndContainerRecords() async throws {
        try await withSupervisor { h, client in
            try await client.createNamespace("team-a", labels: ["owner": "core"])
            #expect(await CoreError.code { try await client.createNamespace("team-a") } == .alreadyExists)
            #expect(await CoreError.code { try await client.createNamespace("bad name!") } == .invalidArgument)
            #expect(try await client.listNamespaces().map(\.name) == ["team-a"])

            let records = client.inNamespace("team-a")
            var web = try h.container("web", ["/bin/true"])
            web.labels = ["app": "web"]
            try await records.createContainer(web)
            try await records.createContainer(try h.container("db", ["/bin/true"]))
            #expect(await CoreError.code { try await records.createContainer(web) } == .alreadyExists)
            #expect(await CoreError.code { try await records.createContainer(try h.container("..", ["/bin/true"])) } == .invalidArgument)
            #expect(try await records.listContainers().map(\.id) == ["db", "web"])
            #expect(try await records.listContainers(filters: ["labels.app==web"]).map(\.id) == ["web"])
            let got = try await records.container("web")
            #expect(got.runtime.name == "io.containerd.berth.v1" && got.hasCreatedAt && got.spec == web.spec)
            #expect(await CoreError.code { _ = try await client.container("web") } == .notFound)  // other namespace
            #expect(await CoreError.code { try await client.deleteNamespace("team-a") } == .failedPrecondition)

            // Records survive a restart of the supervisor.
            h.killSupervisor()
            let again = try await h.start().inNamespace("team-a")
            #expect(try await again.listContainers().map(\.id) == ["db", "web"])
            try await again.deleteContainer("web")
            try await again.deleteContainer("db")
            #expect(await CoreError.code { try await again.deleteContainer("db") } == .notFound)
            try await again.deleteNamespace("team-a")
            #expect(try await again.listNamespaces().isEmpty)
        }
    }

    @Test(arguments: ["io.containerd.berth.v1", "io.containerd.runc.v2"])
    func taskLifecycleWithEvents(runtime: String) async throws {
        guard runtime == "io.containerd.berth.v1" || FileManager.default.isExecutableFile(atPath: "/usr/bin/containerd-shim-runc-v2") else { return }
        try await withSupervisor { h, client in
            let subscriber = try await RPCClient.connect(path: h.address)
            defer { Task { await subscriber.close() } }
            var request = Supervisor_SubscribeRequest()
            request.filters = [#"topic~="^/tasks/",namespace==test"#]
            let stream = try await subscriber.stream(SupervisorAPI.events, "Subscribe", request,
                                                     returning: Containerd_Types_Envelope.self)
            let id = runtime == "io.containerd.runc.v2" ? "life-runc" : "life-berth"
            let out = "\(h.work)/\(id).out"
            // Both streams named: containerd-shim-runc-v2 1.6 crashes on a file:// stdout without a stderr.
            try await h.run(client, id, ["/bin/sh", "-c", "echo hello from $(hostname); exit 3"], runtime: runtime,
                            stdout: "file://\(out)", stderr: "file://\(out).err")
            #expect(try await client.wait(id).exitStatus == 3)
            let task = try await client.task(id)
            #expect(task.status == .stopped && task.exitStatus == 3)
            #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("hello from "))
            #expect(await CoreError.code { try await client.deleteContainer(id) } == .failedPrecondition)
            #expect(try await client.deleteTask(id).exitStatus == 3)
            #expect(try await client.listTasks().isEmpty)
            try await client.deleteContainer(id)
            #expect(!FileManager.default.fileExists(atPath: "\(h.work)/run/tasks/test/\(id)"))

            var topics: [String] = []
            for try await envelope in stream {
                topics.append(envelope.topic)
                if envelope.topic == "/tasks/delete" { break }
            }
            #expect(topics == ["/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"])
        }
    }

    /// The supervisor re-executes itself with glibc's per-thread malloc caches off (same pid),
    /// keeping the caller's own tunables; its shims start with an environment of their own.
    @Test func daemonRunsWithoutMallocThreadCachesAndItsShimsWith() async throws {
        try await withSupervisor { h, _ in
            h.killSupervisor()
            let client = try await h.start(environment: ["GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072"])
            let own = try Self.environment(of: h.pid)
            #expect(own.joined(separator: ":").contains("glibc.malloc.tcache_count=0"), "\(own)")
            #expect(own.contains("BERTH_SAVED_GLIBC_TUNABLES==glibc.malloc.trim_threshold=131072"), "\(own)")
            try await h.run(client, "tunables", ["/bin/sleep", "30"])
            let shim = try Self.environment(of: try #require(h.shimPID("tunables")))
            #expect(!shim.contains { $0.hasPrefix("GLIBC_TUNABLES=") || $0.hasPrefix("BERTH_SAVED_GLIBC_TUNABLES=") }, "\(shim)")
            try await client.kill("tunables", signal: SIGKILL)
            _ = try await client.wait("tunables")
        }
    }

    /// The environment `pid` was started with (/proc/PID/environ, as its last execve set it and
    /// the loader left it: glibc 2.36's cuts GLIBC_TUNABLES at each ':' as it reads it, so checks
    /// join the entries again).
    private static func environment(of pid: Int32) throws -> [String] {
        try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8).split(separator: "\0").map(String.init)
    }

    @Test func readinessIsNotifiedThroughNotifySocket() async throws {
        try await withSupervisor { h, _ in
            h.killSupervisor()
            let path = "\(h.work)/notify"
            let socket = try UnixSocket.bind(path: path, kind: .datagram)
            _ = try await h.start(environment: ["NOTIFY_SOCKET=\(path)"])
            // start() returned once the socket answered; READY=1 follows the listen at once.
            var buffer = [UInt8](repeating: 0, count: 256)
            var got = -1
            for _ in 0..<200 where got <= 0 {
                got = socket.withRawValue { raw in buffer.withUnsafeMutableBytes { recv(raw, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) } }
                if got <= 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(got > 0 && String(decoding: buffer[0..<max(got, 0)], as: UTF8.self) == "READY=1\nMAINPID=\(h.pid)")
        }
    }

    @Test func containerAndNamespaceEventsReachFilteredSubscribers() async throws {
        try await withSupervisor { h, client in
            let subscriber = try await RPCClient.connect(path: h.address)
            defer { Task { await subscriber.close() } }
            var request = Supervisor_SubscribeRequest()
            request.filters = [#"topic~="^/containers/",namespace==events-ns"#, #"topic=="/namespaces/create""#]
            let stream = try await subscriber.stream(SupervisorAPI.events, "Subscribe", request, returning: Containerd_Types_Envelope.self)
            try await Task.sleep(for: .milliseconds(100))  // the subscription is registered
            let other = client.inNamespace("events-ns")
            try await client.createContainer(try h.container("elsewhere", ["/bin/true"]))  // namespace test: not selected
            try await other.createContainer(try h.container("watched", ["/bin/true"]))
            try await other.deleteContainer("watched")
            var seen: [String] = []
            for try await envelope in stream {
                seen.append("\(envelope.namespace) \(envelope.topic)")
                if envelope.topic == "/containers/delete" { break }
            }
            #expect(seen == ["test /namespaces/create", "events-ns /namespaces/create", "events-ns /containers/create", "events-ns /containers/delete"])
            #expect(await CoreError.code {
                var bad = Supervisor_SubscribeRequest()
                bad.filters = ["colour==red"]
                for try await _ in try await subscriber.stream(SupervisorAPI.events, "Subscribe", bad, returning: Containerd_Types_Envelope.self) {}
            } == .invalidArgument)
            try await client.deleteContainer("elsewhere")
        }
    }

    @Test func execAndWaitFromTwoClients() async throws {
        try await withSupervisor { h, client in
            let id = "sleeper"
            try await h.run(client, id, ["/bin/sleep", "1000"])
            let out = "\(h.work)/exec.out"
            var exec = Supervisor_ExecProcessRequest()
            exec.containerID = id
            exec.execID = "probe"
            exec.stdout = "file://\(out)"
            let process = #"{"args":["/bin/sh","-c","echo exec in $(hostname); exit 4"],"cwd":"/","user":{"uid":0,"gid":0},"env":["PATH=/bin"]}"#
            exec.spec = Google_Protobuf_Any(ociType: "Process", json: Array(process.utf8))
            try await client.exec(exec)
            try await client.startTask(id, execID: "probe")
            #expect(try await client.wait(id, execID: "probe").exitStatus == 4)
            #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("exec in "))
            try await client.deleteTask(id, execID: "probe")
            #expect(try await client.pids(id).count == 1)

            let other = SupervisorClient(rpc: try await RPCClient.connect(path: h.address), namespace: "test")
            async let first = client.wait(id)
            async let second = other.wait(id)
            try await Task.sleep(for: .milliseconds(200))
            try await client.kill(id, signal: SIGKILL)
            #expect(try await first.exitStatus == 137)
            #expect(try await second.exitStatus == 137)
            try await client.deleteTask(id)
        }
    }
}

@Suite(.offPool) struct SupervisorFailureTests {
    @Test func aFailedCreateLeavesNothingBehind() async throws {
        try await withSupervisor { h, client in
            try await client.createContainer(try h.container("broken", ["/no/such/program"]))
            #expect(await CoreError.code { _ = try await client.createTask(try h.taskRequest("broken")) } != nil)
            #expect(try await client.listTasks().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: "\(h.work)/run/tasks/test/broken"))
            let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            #expect(!mounts.contains(h.work))
            let cgroup = "/sys/fs/cgroup/pids/berth-test-sup-\(h.work.suffix(8))-broken"
            #expect(await eventually { !FileManager.default.fileExists(atPath: cgroup) })
            // The id is free again, and the container record can go.
            try await client.deleteContainer("broken")
        }
    }
}
