// AccessControlTests: who may reach berth's sockets. The engine socket is 0660 root:--group
// (EngineActivationTests checks mode and group, and that -H tcp:// is refused); here: the
// supervisor's and the shim's sockets are 0600 in 0700 directories; `berth` run as an
// unprivileged user gets docker's "permission denied" and a member of the engine's group gets in;
// a peer of another uid that gets past the file permissions (CAP_DAC_OVERRIDE) is still refused
// by the supervisor's SO_PEERCRED check; and no daemon holds a TCP listening socket.
import Foundation
import Sys
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct AccessControlTests {
    /// Runs PROGRAM ARGS as uid/gid 65534 (nobody) through setpriv, with `extra` setpriv options.
    func asNobody(_ extra: [String], _ program: String, _ arguments: [String], in work: String) throws -> CommandResult {
        let base = "\(work)/nobody-\(UInt32.random(in: 0...UInt32.max))"
        let out = open(base + ".out", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        let err = open(base + ".err", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(out); close(err); close(null); unlink(base + ".out"); unlink(base + ".err") }
        var spawn = Spawn(executable: "/usr/bin/setpriv", arguments: ["--reuid=65534", "--regid=65534"] + extra + ["--", program] + arguments,
                          environment: ["PATH=/usr/bin:/bin"])
        spawn.fileDescriptors = [null, out, err]
        let pid = try spawn.start()
        let status = try Spawn.waitForExit(pid)
        let code: Int32 = if case .exited(let value) = status { value } else { -1 }
        return CommandResult(status: code, out: try String(contentsOfFile: base + ".out", encoding: .utf8),
                             err: try String(contentsOfFile: base + ".err", encoding: .utf8))
    }

    func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    @Test func socketsPeersAndListeners() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            Issue.record("setpriv (util-linux) is needed")
            return
        }
        let h = try EngineHarness()
        do {
            try await check(h)
        } catch {
            Issue.record("engine log:\n\(h.engineLog.suffix(3000))")
            await h.cleanup()
            throw error
        }
        await h.cleanup()
    }

    private func check(_ h: EngineHarness) async throws {
        chmod(h.work, 0o755)  // the work directory itself lets everyone through to the socket's own check
        try await h.start(extraArguments: ["--group", "daemon"])
        try await h.loadBusybox()
        #expect(try await h.berth(["run", "-d", "--name", "live", "busybox", "sleep", "300"]).status == 0)
        let id = try await h.berth(["inspect", "-f", "{{.Id}}", "live"]).out.trimmingCharacters(in: .whitespacesAndNewlines)

        // The supervisor's and the shim's sockets: 0600 in 0700 directories.
        let supervisorSocket = "\(h.work)/run/supervisor/supervisor.sock"
        let address = try String(contentsOfFile: "\(h.work)/run/supervisor/tasks/\(h.namespace)/\(id)/address", encoding: .utf8)
        let shimSocket = address.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "unix://", with: "")
        for socket in [supervisorSocket, shimSocket] {
            #expect(mode(socket) == 0o600, "\(socket): \(String(describing: mode(socket)))")
            let directory = (socket as NSString).deletingLastPathComponent
            #expect(mode(directory) == 0o700, "\(directory): \(String(describing: mode(directory)))")
        }

        // berth as an unprivileged user: docker's permission error, not "is it running?".
        let denied = try asNobody(["--clear-groups"], "\(h.bin)/berth", ["-H", "unix://\(h.socket)", "ps"], in: h.work)
        #expect(denied.status == 1 && denied.err.contains("permission denied while trying to connect to the berth engine socket"),
                "\(denied.status) \(denied.err)")
        // The same user in the engine's group gets in.
        let daemonGID = getgrnam("daemon").pointee.gr_gid
        let member = try asNobody(["--groups=\(daemonGID)"], "\(h.bin)/berth", ["-H", "unix://\(h.socket)", "ps", "-q"], in: h.work)
        #expect(member.status == 0 && member.out.split(separator: "\n").count == 1, "\(member.status) \(member.err)")

        // Past the file permissions (CAP_DAC_OVERRIDE) with another uid: the supervisor checks
        // SO_PEERCRED, serves nothing and says why. (berth-shim does the same: ShimAccessTests.)
        let override = ["--clear-groups", "--inh-caps=+dac_override", "--ambient-caps=+dac_override"]
        let peer = try asNobody(override, "\(h.bin)/berth-ctr", ["--address", supervisorSocket, "namespaces", "ls"], in: h.work)
        #expect(peer.status != 0, "a peer of uid 65534 was served: \(peer.out)")
        #expect(peer.err.contains("permission denied: peer uid 65534"), "the refusal gives no reason: \(peer.err)")
        let asRoot = try runCtr(h, ["--address", supervisorSocket, "namespaces", "ls"])
        #expect(asRoot.contains(h.namespace), "root is served: \(asRoot)")
        print("access: unprivileged berth: \(denied.err.trimmingCharacters(in: .whitespacesAndNewlines)); "
              + "uid 65534 with CAP_DAC_OVERRIDE at the supervisor: status \(peer.status) \(peer.err.trimmingCharacters(in: .whitespacesAndNewlines))")

        // No TCP listener: none of the engine's or the supervisor's sockets is a listening TCP socket.
        let listening = Self.listeningTCPInodes()
        for pid in [h.pid, h.supervisorPID ?? 0] where pid > 0 {
            let sockets = Self.socketInodes(of: pid)
            #expect(!sockets.isEmpty, "pid \(pid) has no sockets at all?")
            #expect(sockets.isDisjoint(with: listening), "pid \(pid) listens on TCP")
        }
    }

    private func runCtr(_ h: EngineHarness, _ arguments: [String]) throws -> String {
        let output = "\(h.work)/ctr-\(UInt32.random(in: 0...UInt32.max)).out"
        let fd = open(output, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(fd); unlink(output) }
        var spawn = Spawn(executable: "\(h.bin)/berth-ctr", arguments: arguments, environment: ["PATH=/usr/bin:/bin"])
        spawn.fileDescriptors = [fd, fd, fd]
        _ = try Spawn.waitForExit(try spawn.start())
        return try String(contentsOfFile: output, encoding: .utf8)
    }

    /// The inodes of listening (state 0A) TCP sockets, v4 and v6, in this network namespace.
    static func listeningTCPInodes() -> Set<String> {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            for line in ((try? String(contentsOfFile: table, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                if fields.count > 9 && fields[3] == "0A" { inodes.insert(String(fields[9])) }
            }
        }
        return inodes
    }

    /// The socket inodes among a process's descriptors.
    static func socketInodes(of pid: Int32) -> Set<String> {
        var inodes: Set<String> = []
        for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
            if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
               link.hasPrefix("socket:[") { inodes.insert(String(link.dropFirst(8).dropLast())) }
        }
        return inodes
    }
}
