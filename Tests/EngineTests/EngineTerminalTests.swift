// EngineTerminalTests: interactive containers as a user at a terminal drives them — `berth run
// -it` on a real pty (type, read the echo, resize and see the new size inside, detach with
// ctrl-p ctrl-q, reattach, exit with a status), `exec -it`, and stdin through a pipe with -i.
import Foundation
import Sys
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `berth ARGS` on the slave side of a new pty, its controlling terminal; we hold the master.
final class TerminalSession {
    let master: Int32
    let pid: Int32
    private var seen: [UInt8] = []
    private var reaped = false

    init(_ h: EngineHarness, _ arguments: [String], rows: UInt16 = 30, columns: UInt16 = 100) throws {
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0,
              ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0 else {
            throw HarnessFailure("cannot make a pty: errno \(errno)")
        }
        let name = "/dev/pts/\(number)"
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        let slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)
        defer { close(slave) }
        var spawn = Spawn(executable: "\(h.bin)/berth", arguments: ["-H", "unix://\(h.socket)"] + arguments,
                          environment: ["PATH=/usr/bin:/bin", "TERM=xterm"])
        spawn.fileDescriptors = [slave, slave, slave]
        spawn.options = [.newSession, .controllingTerminal]
        pid = try spawn.start()
    }

    deinit {
        if !reaped {
            kill(pid, SIGKILL)
            _ = try? Spawn.waitForExit(pid)
        }
        close(master)
    }

    func type(_ text: String) { _ = text.withCString { write(master, $0, strlen($0)) } }

    /// Reads until `text` has appeared (after what earlier calls consumed); false on timeout.
    func expect(_ text: String, timeout: Duration = .seconds(15)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            if let range = String(decoding: seen, as: UTF8.self).range(of: text) {
                seen = Array(String(decoding: seen, as: UTF8.self)[range.upperBound...].utf8)
                return true
            }
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 50) > 0 {
                let count = read(master, &buffer, buffer.count)
                if count > 0 { seen += buffer[0..<count] } else { try? await Task.sleep(for: .milliseconds(20)) }
            }
        }
        return false
    }

    func resize(rows: UInt16, columns: UInt16) {
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)  // the kernel sends SIGWINCH to the session
    }

    /// The exit status of `berth`.
    /// The exit status of `berth` (waited for on a thread, off Swift's cooperative pool).
    func exitStatus() async throws -> Int32 {
        let pid = self.pid
        let status = try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try Spawn.waitForExit(pid) }) }.start()
        }
        reaped = true
        if case .exited(let code) = status { return code }
        return -1
    }
}

@Suite(.serialized, .offPool) struct EngineTerminalTests {
    @Test func runItTypesResizesDetachesAndReattaches() async throws {
        try await withEngine { h in
            let session = try TerminalSession(h, ["run", "-it", "--name", "shell", "busybox", "sh"])
            session.type("stty size; echo ready-$((6*7))\r")
            #expect(await session.expect("30 100", timeout: .seconds(60)))  // includes the container's start
            #expect(await session.expect("ready-42"))
            session.resize(rows: 40, columns: 120)
            try await Task.sleep(for: .milliseconds(300))
            session.type("stty size\r")
            #expect(await session.expect("40 120"))
            session.type("\u{10}\u{11}")  // ctrl-p ctrl-q
            #expect(await session.expect("read escape sequence"))
            #expect(try await session.exitStatus() == 0)
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}}", "shell"]).out == "running\n")

            let again = try TerminalSession(h, ["attach", "shell"])
            try await Task.sleep(for: .milliseconds(300))
            again.type("echo back-$((40+2))\r")
            #expect(await again.expect("back-42"))
            again.type("exit 3\r")
            #expect(try await again.exitStatus() == 3)
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "shell"]).out == "exited 3\n")
        }
    }

    @Test func execItAndStdinThroughAPipe() async throws {
        try await withEngine { h in
            let piped = try await h.berth(["run", "-i", "--rm", "busybox", "sh", "-c", "read x; echo got:$x; exit 2"], stdin: "hello\n")
            #expect(piped.status == 2 && piped.out == "got:hello\n")
            let cat = try await h.berth(["run", "-i", "--rm", "busybox", "cat"], stdin: "one\ntwo\n")
            #expect(cat.status == 0 && cat.out == "one\ntwo\n")  // the pipe's end closes the container's stdin

            #expect(try await h.berth(["run", "-d", "--name", "box", "busybox", "sleep", "1000"]).status == 0)
            let exec = try TerminalSession(h, ["exec", "-it", "box", "sh"])
            exec.type("tty; echo in-$((1+1))\r")
            #expect(await exec.expect("/dev/pts/"))
            #expect(await exec.expect("in-2"))
            exec.type("exit 5\r")
            #expect(try await exec.exitStatus() == 5)
            let fed = try await h.berth(["exec", "-i", "box", "sh", "-c", "read y; echo exec:$y"], stdin: "fed\n")
            #expect(fed.out == "exec:fed\n")
            let plain = try await h.berth(["exec", "box", "sh", "-c", "echo out; echo err >&2; exit 4"])
            #expect(plain.status == 4 && plain.out == "out\n" && plain.err == "err\n")
            #expect(try await h.berth(["exec", "box", "no-such-program"]).status == 127)
            #expect(try await h.berth(["pause", "box"]).status == 0)
            #expect(try await h.berth(["exec", "box", "true"]).err.contains("is paused"))
            #expect(try await h.berth(["unpause", "box"]).status == 0)
            #expect(try await h.berth(["rename", "box", "crate"]).status == 0)
            let top = try await h.berth(["top", "crate"]).out.split(separator: "\n")
            #expect(top.first?.hasPrefix("UID") == true && top.contains { $0.hasSuffix("sleep 1000") })
        }
    }
}
