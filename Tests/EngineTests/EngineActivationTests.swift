// EngineActivationTests: berth-engine as systemd runs it — the listening socket passed as fd 3
// with LISTEN_FDS/LISTEN_PID (-H fd://), READY=1 sent to NOTIFY_SOCKET once it serves — and the
// engine socket's access: mode 0660 owned by --group, and no TCP listener (-H tcp:// refused).
import Foundation
import Sys
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct EngineActivationTests {
    @Test func socketActivationAndReadiness() async throws {
        let h = try EngineHarness()
        var pid: Int32 = 0
        do {
            let listener = try UnixSocket.bind(path: h.socket)
            let notify = try UnixSocket.bind(path: "\(h.work)/notify.sock", kind: .datagram)
            let log = open("\(h.work)/engine.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer { close(log); close(null) }
            // LISTEN_PID must name the engine itself: the shell sets it to its own pid, then execs.
            var spawn = Spawn(executable: "/bin/sh", arguments: ["-c", "LISTEN_PID=$$ exec \"$0\" \"$@\"", "\(h.bin)/berth-engine",
                "--data-root", "\(h.work)/data", "--exec-root", "\(h.work)/run", "-H", "fd://",
                "--supervisor-namespace", h.namespace, "--cgroup-parent", h.cgroupParent],
                environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LISTEN_FDS=1", "NOTIFY_SOCKET=\(h.work)/notify.sock"])
            spawn.fileDescriptors = [null, log, log, listener.rawValue]
            pid = try spawn.start()
            let fd = notify.rawValue
            let message = try await offPool { () -> String in
                var buffer = [UInt8](repeating: 0, count: 512)
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 30_000) == 1 else { return "" }
                let count = read(fd, &buffer, buffer.count)
                return String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
            }
            #expect(message.contains("READY=1"), "no readiness notification: \(h.engineLog)")
            try await h.loadBusybox()
            #expect(try await h.berth(["run", "--rm", "busybox", "echo", "activated"]).out == "activated\n")
        } catch {
            Issue.record("engine log:\n\(h.engineLog.suffix(3000))")
            if pid > 0 { kill(pid, SIGKILL); _ = try? Spawn.waitForExit(pid) }
            await h.cleanup()
            throw error
        }
        kill(pid, SIGKILL)
        _ = try? Spawn.waitForExit(pid)
        await h.cleanup()
    }

    @Test func engineSocketModeGroupAndNoTCP() async throws {
        let h = try EngineHarness()
        do {
            try await socketAccess(h)
        } catch {
            await h.cleanup()
            throw error
        }
        await h.cleanup()
    }

    private func socketAccess(_ h: EngineHarness) async throws {
        let log = open("\(h.work)/engine.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { close(log) }
        var tcp = Spawn(executable: "\(h.bin)/berth-engine", arguments: ["--data-root", "\(h.work)/data", "--exec-root", "\(h.work)/run",
                                                                    "-H", "tcp://127.0.0.1:2375"], environment: ["PATH=/usr/bin:/bin"])
        tcp.fileDescriptors = [log, log, log]
        let child = try tcp.start()
        let refused = try await offPool { try Spawn.waitForExit(child) }
        #expect(refused != .exited(0))
        #expect(h.engineLog.contains("no TCP listener without TLS"))

        try await h.start(extraArguments: ["--group", "daemon"])
        var info = stat()
        #expect(stat(h.socket, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(info.st_gid == getgrnam("daemon").pointee.gr_gid)
        var supervisorInfo = stat()
        #expect(stat("\(h.work)/run/supervisor", &supervisorInfo) == 0 && supervisorInfo.st_mode & 0o777 == 0o700)
    }
}
