// berth-shim driven like containerd drives its shim: a busybox container through Create, Start,
// State, Wait, Kill and Delete over ttrpc, with its output arriving on stdout/stderr fifos; Wait
// from two clients at once; a client killed mid-Wait while the container keeps running; output
// that nobody reads never blocking the container.
import API
import Errdefs
import Foundation
import RPC
import RPCNIO
import Sys
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct ShimLifecycleTests {
    @Test func fullLifecycleWithFifoOutput() async throws {
        try await withShim { h in
            let id = "life"
            let stdout = try FifoReader("\(h.work)/\(id)-stdout")
            let stderr = try FifoReader("\(h.work)/\(id)-stderr")
            let c = try await h.container(id, ["/bin/sh", "-c", "echo hello from busybox; echo to stderr >&2; exit 3"],
                                          stdout: stdout, stderr: stderr, start: false)
            #expect(c.pid > 0)
            let connected = try await c.task.connect(id: id)
            #expect(connected.shimPid == UInt32(c.shimPID) && connected.taskPid == c.pid)
            let created = try await c.task.state(id: id)
            #expect(created.status == .created)
            #expect(created.pid == c.pid && created.bundle == c.bundle && created.stdout == stdout.path)
            // The init is the shim's child: the shim is its subreaper.
            #expect(parentOf(Int32(c.pid)) == c.shimPID)

            #expect(try await c.task.start(id: id) == c.pid)
            let waited = try await c.task.wait(id: id)
            #expect(waited.exitStatus == 3)
            #expect(waited.exitedAt.seconds > 0)
            #expect(stdout.available() == "hello from busybox\n")
            #expect(stderr.available() == "to stderr\n")

            let stopped = try await c.task.state(id: id)
            #expect(stopped.status == .stopped && stopped.exitStatus == 3 && stopped.exitedAt == waited.exitedAt)
            // The exit record reached the bundle before Wait was answered.
            let record = try String(contentsOfFile: c.bundle + "/init.exit", encoding: .utf8)
            #expect(record.contains("pid \(c.pid)\n") && record.contains("exit_status 3\n"))

            let deleted = try await c.task.delete(id: id)
            #expect(deleted.pid == c.pid && deleted.exitStatus == 3 && deleted.exitedAt == waited.exitedAt)
            #expect(await CoreError.code { _ = try await c.task.state(id: id) } == .notFound)
            #expect(await CoreError.code { try await c.task.delete(id: id) } == .notFound)
            let list = try await execute(h.runtimeBinary, ["--root", h.runtimeRoot, "list", "-q"])
            #expect(!list.stdoutText.contains(id), "the runtime still knows the container")

            // Shutdown with no container left: the shim exits and removes its socket.
            var shutdown = Containerd_Task_V2_ShutdownRequest()
            shutdown.id = id
            _ = try await c.task.shutdown(shutdown, timeout: .seconds(10))
            #expect(await eventually { !processAlive(c.shimPID) }, "the shim did not exit after Shutdown")
            #expect(!FileManager.default.fileExists(atPath: String(c.address.dropFirst("unix://".count))))
        }
    }

    @Test func waitFromTwoClientsWhileOthersAreServed() async throws {
        try await withShim { h in
            let id = "waiters"
            let c = try await h.container(id, ["/bin/sleep", "1000"])
            let second = try await h.client(c.address)
            let third = try await h.client(c.address)
            async let waitedFirst = c.task.wait(id: id)
            async let waitedSecond = second.wait(id: id)
            // While both are parked, other calls — on their connections too — are answered.
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await c.task.state(id: id).status == .running)
            #expect(try await third.state(id: id).pid == c.pid)
            var pids = Containerd_Task_V2_PidsRequest()
            pids.id = id
            #expect(try await third.pids(pids, timeout: .seconds(10)).processes.map(\.pid).contains(c.pid))

            try await third.kill(id: id, signal: SIGKILL)
            let (a, b) = try await (waitedFirst, waitedSecond)
            #expect(a.exitStatus == 137 && b.exitStatus == 137)
            #expect(a.exitedAt == b.exitedAt)
            // A Wait after the exit answers at once; a Kill now finds nothing to signal.
            #expect(try await third.wait(id: id).exitStatus == 137)
            #expect(await CoreError.code { try await third.kill(id: id, signal: SIGKILL) } == .notFound)
        }
    }

    @Test func killAllSignalsTheContainer() async throws {
        try await withShim { h in
            let id = "killall"
            let c = try await h.container(id, ["/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"])
            var pids = Containerd_Task_V2_PidsRequest()
            pids.id = id
            var count = 0
            for _ in 0..<200 where count < 3 {
                count = try await c.task.pids(pids, timeout: .seconds(10)).processes.count
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(count == 3, "sh and its two sleeps")
            // Deleting a running task is refused.
            #expect(await CoreError.code { try await c.task.delete(id: id) } == .failedPrecondition)

            // sh as pid 1 ignores SIGTERM without a handler, so only `--all` ends it: its sleeps die.
            try await c.task.kill(id: id, signal: SIGTERM, all: true)
            #expect([0, 143].contains(try await c.task.wait(id: id).exitStatus))
            try await c.task.delete(id: id)
        }
    }

    @Test func containerSurvivesItsClientBeingKilled() async throws {
        try await withShim { h in
            let id = "survivor"
            let c = try await h.container(id, ["/bin/sleep", "1000"])

            // A separate client process parks a Wait on the shim and is then killed with SIGKILL.
            var wait = TTRPC_Request()
            wait.service = TaskAPI.serviceV2
            wait.method = "Wait"
            var waitRequest = Containerd_Task_V2_WaitRequest()
            waitRequest.id = id
            wait.payload = try waitRequest.serializedData()
            let frame = try Frame(streamID: 1, type: .request, payload: try wait.serializedBytes()).encoded()
            let marker = "\(h.work)/client-sent"
            let script = """
            import socket, sys, time
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(bytes.fromhex(sys.argv[2]))
            open(sys.argv[3], "w").write("sent"); time.sleep(1000)
            """
            var client = Spawn(executable: "/usr/bin/python3",
                               arguments: ["-c", script, String(c.address.dropFirst("unix://".count)),
                                           frame.map { String(format: "%02x", $0) }.joined(), marker])
            client.environment = ["PATH=/usr/bin:/bin"]
            let clientPID = try client.start()
            h.adopt(child: clientPID)
            #expect(await eventually { FileManager.default.fileExists(atPath: marker) })
            kill(clientPID, SIGKILL)
            // Our own connection goes too, as if the supervisor died.
            await (c.task.rpc as! RPCClient).close()
            try await Task.sleep(for: .milliseconds(200))

            #expect(processAlive(c.shimPID), "the shim died with its client")
            #expect(processAlive(Int32(c.pid)), "the container died with its client")
            let again = try await h.client(c.address)
            let connected = try await again.connect(id: id)
            #expect(connected.shimPid == UInt32(c.shimPID) && connected.taskPid == c.pid)
            #expect(try await again.state(id: id).status == .running)

            // The container exits while no Wait is parked anywhere; a new Wait still gets it.
            kill(Int32(c.pid), SIGKILL)
            #expect(await eventually { FileManager.default.fileExists(atPath: c.bundle + "/init.exit") })
            #expect(try await again.wait(id: id).exitStatus == 137)
            #expect(try await again.state(id: id).status == .stopped)
        }
    }

    @Test func stdinUntilCloseIOAndPauseResume() async throws {
        try await withShim { h in
            let id = "stdin"
            let stdin = "\(h.work)/\(id)-stdin"
            #expect(mkfifo(stdin, 0o600) == 0)
            let stdout = try FifoReader("\(h.work)/\(id)-stdout")
            let c = try await h.container(id, ["/bin/sh", "-c", "cat; echo cat-done"], stdin: stdin, stdout: stdout)
            // The shim holds the fifo open for reading, so the client's open does not block.
            let writer = try FileDescriptor.open(stdin, flags: O_WRONLY | O_NONBLOCK)
            try writer.write("hello\n")
            try writer.close()  // closing our end is not EOF for the container: only CloseIO is
            #expect(await eventually { stdout.peek().contains("hello\n") })

            var pause = Containerd_Task_V2_PauseRequest()
            pause.id = id
            _ = try await c.task.pause(pause, timeout: .seconds(10))
            #expect(try await c.task.state(id: id).status == .paused)
            var resume = Containerd_Task_V2_ResumeRequest()
            resume.id = id
            _ = try await c.task.resume(resume, timeout: .seconds(10))
            #expect(try await c.task.state(id: id).status == .running)

            var close = Containerd_Task_V2_CloseIORequest()
            close.id = id
            close.stdin = true
            _ = try await c.task.closeIO(close, timeout: .seconds(10))
            #expect(try await c.task.wait(id: id).exitStatus == 0)
            #expect(stdout.peek() == "hello\ncat-done\n")
        }
    }

    @Test func unreadOutputNeverBlocksTheContainer() async throws {
        try await withShim { h in
            let id = "flood"
            let stdout = try FifoReader("\(h.work)/\(id)-stdout")
            let stderr = try FifoReader("\(h.work)/\(id)-stderr")
            // 4 MiB to stdout, 64 times the fifo's buffer, with nobody reading the fifo.
            let c = try await h.container(id, ["/bin/sh", "-c", "head -c 4194304 /dev/zero; echo done >&2"],
                                          stdout: stdout, stderr: stderr)
            #expect(try await c.task.wait(id: id).exitStatus == 0)
            #expect(stderr.available() == "done\n")
            // The newest output is still there for a reader that comes back.
            #expect(!stdout.available().isEmpty)
        }
    }
}

/// The parent pid of `pid` (from /proc/PID/stat), or 0.
func parentOf(_ pid: Int32) -> Int32 {
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) ?? 0 : 0
}
