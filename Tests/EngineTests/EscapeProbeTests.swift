// EscapeProbeTests: the escapes issue 10 lists, each tried from a default container through the
// CLI against a real engine and shown BLOCKED there, then shown to get through where the thing
// guarding it is lifted (--privileged, a bind mount of the host's sockets, or — for what the pid
// namespace hides — the same probe run on the host), so every probe is known to be real. The
// probes are Sources/berth-probe (static C, bind-mounted into busybox); the table below is the
// whole list. Also: a `berth exec` never hands the container a writable runtime binary.
import Foundation
import Sys
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// What lifts a probe's guard, to show the probe is real.
enum ProbeEnabler: Equatable {
    /// `berth run --privileged` (capabilities, seccomp, masked and read-only paths, devices).
    case privileged
    /// The host's engine, supervisor and shim socket directories bind-mounted in.
    case hostSockets
    /// Run on the host itself (what a pid namespace hides cannot be unhidden by a flag here:
    /// berth has no --pid host).
    case host
}

struct EscapeProbe {
    /// The probe's argument (`NAME` or `NAME=ARG`): also the key of its output line.
    var argument: String
    var enabler: ProbeEnabler
}

/// One probe's outcome, from its output line: "ARG allowed|blocked|absent DETAIL".
struct ProbeOutcome: CustomStringConvertible {
    var verdict: String
    var detail: String
    var description: String { "\(verdict) \(detail)" }
}

@Suite(.serialized, .offPool) struct EscapeProbeTests {
    static var probeBinary: String? {
        EngineHarness.binDirectory.map { $0 + "/berth-probe" }.flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
    }

    /// The table: every probe and what lifts its guard. `host` and `sockets` fill in the targets.
    static func table(hostProcess: String, disk: String, sockets: [String]) -> [EscapeProbe] {
        ["mount", "unshare-user", "unshare-mount", "kernel-module", "sysrq-trigger", "sys-write", "open-by-handle",
         "mknod-disk=\(disk)", "kcore", "timer-list", "proc-keys", "keyctl", "bpf", "perf-event", "reboot", "clock-settime",
         "release-agent", "memory-limit", "pids-limit", "hostname", "nice", "swapon", "syslog"]
            .map { EscapeProbe(argument: $0, enabler: .privileged) }
            + [EscapeProbe(argument: "host-process=\(hostProcess)", enabler: .host),
               EscapeProbe(argument: "ptrace-host=\(hostProcess)", enabler: .host)]
            + sockets.map { EscapeProbe(argument: "connect=\($0)", enabler: .hostSockets) }
    }

    /// Probes of things some kernels lack (this machine's has neither): "absent" both ways is an
    /// honest answer when the host has no such file either.
    static let mayBeAbsent = ["kcore": "/proc/kcore", "sysrq-trigger": "/proc/sysrq-trigger"]

    /// A block device ("MAJOR:MINOR") that root on the host can open: the container's must not.
    /// (Some machines refuse even root their system disk; a loop or zram device does then.)
    static func openableDisk(in work: String) -> String {
        let devices = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/dev/block")) ?? []).sorted()
        for device in devices {
            let numbers = device.split(separator: ":").compactMap { UInt32($0) }
            guard numbers.count == 2 else { continue }
            let node = "\(work)/disk-probe"
            unlink(node)
            let major = UInt64(numbers[0]), minor = UInt64(numbers[1])
            let number = dev_t(((major & 0xFFFF_F000) << 32) | ((major & 0xFFF) << 8) | ((minor & 0xFFFF_FF00) << 12) | (minor & 0xFF))
            guard mknod(node, S_IFBLK | 0o600, number) == 0 else { continue }
            defer { unlink(node) }
            let fd = open(node, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { close(fd); return device }
        }
        return ""
    }

    static func parse(_ output: String) -> [String: ProbeOutcome] {
        var outcomes: [String: ProbeOutcome] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard fields.count >= 2 else { continue }
            outcomes[fields[0]] = ProbeOutcome(verdict: fields[1], detail: fields.count > 2 ? fields[2] : "")
        }
        return outcomes
    }

    /// Runs the probes in a fresh busybox container with `flags`.
    func probe(_ h: EngineHarness, _ probe: String, flags: [String], _ arguments: [String]) async throws -> [String: ProbeOutcome] {
        let run = try await h.berth(["run", "--rm", "-v", "\(probe):/probe:ro"] + flags + ["busybox", "/probe"] + arguments)
        #expect(run.status == 0, "\(flags): \(run.err)")
        return Self.parse(run.out)
    }

    @Test func everyProbeIsBlockedByDefaultAndRealWhenItsGuardIsLifted() async throws {
        let probe = try #require(Self.probeBinary, "berth-probe not built")
        // A host process the container must not see or trace: a sleep of our own.
        var sleeper = Spawn(executable: "/bin/sleep", arguments: ["300"], environment: [])
        let sleepPID = try sleeper.start()
        defer { kill(sleepPID, SIGKILL); _ = try? Spawn.waitForExit(sleepPID) }
        let hostName = currentHostName()
        let started = ContinuousClock.now

        try await withEngine { h in
            // A running container, so its shim's socket exists to be reached for.
            #expect(try await h.berth(["run", "-d", "--name", "target", "busybox", "sleep", "300"]).status == 0)
            let id = try await h.berth(["inspect", "-f", "{{.Id}}", "target"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let address = try String(contentsOfFile: "\(h.work)/run/supervisor/tasks/\(h.namespace)/\(id)/address", encoding: .utf8)
            let shimSocket = address.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "unix://", with: "")
            let sockets = [h.socket, "\(h.work)/run/supervisor/supervisor.sock", shimSocket]
            for socket in sockets { #expect(FileManager.default.fileExists(atPath: socket), "\(socket) should exist on the host") }
            let disk = Self.openableDisk(in: h.work)
            #expect(!disk.isEmpty, "no block device the host can open")
            let probes = Self.table(hostProcess: "\(sleepPID):sleep", disk: disk, sockets: sockets)

            let blocked = try await self.probe(h, probe, flags: [], probes.map(\.argument))
            let privileged = try await self.probe(h, probe, flags: ["--privileged"],
                                                  probes.filter { $0.enabler == .privileged }.map(\.argument))
            let socketDirectories = Set(sockets.map { ($0 as NSString).deletingLastPathComponent })
            let mounted = try await self.probe(h, probe, flags: socketDirectories.sorted().flatMap { ["-v", "\($0):\($0)"] },
                                               probes.filter { $0.enabler == .hostSockets }.map(\.argument))
            let onHost = try runProgramOutput(probe, probes.filter { $0.enabler == .host }.map(\.argument))

            var absent: [String] = []
            for entry in probes {
                let name = entry.argument
                let before = blocked[name], after = (privileged[name] ?? mounted[name] ?? onHost[name])
                if let path = Self.mayBeAbsent[name], !FileManager.default.fileExists(atPath: path) {
                    #expect(before?.verdict == "absent" && after?.verdict == "absent", "\(name): \(String(describing: before))")
                    absent.append(name)
                    continue
                }
                #expect(before?.verdict == "blocked", "\(name) by default: \(before.map(\.description) ?? "no output")")
                #expect(after?.verdict == "allowed", "\(name) with \(entry.enabler): \(after.map(\.description) ?? "no output") — the probe is not real")
            }
            // sethostname got through under --privileged: into the container's own UTS namespace only.
            #expect(currentHostName() == hostName, "the host's hostname changed")
            let allowedCount = probes.filter { ((privileged[$0.argument] ?? mounted[$0.argument] ?? onHost[$0.argument])?.verdict) == "allowed" }.count
            let blockedCount = probes.filter { blocked[$0.argument]?.verdict == "blocked" }.count
            print("escape probes: \(probes.count) probes, \(blockedCount) blocked by default, \(allowedCount) allowed when their guard is lifted, "
                  + "\(absent.count) absent on this machine (\(absent.joined(separator: ", "))); \(ContinuousClock.now - started)")
            for entry in probes { print("  \(entry.argument): default \(blocked[entry.argument].map(\.description) ?? "-")") }
        }
    }

    /// CVE-2019-5736 through the engine: a process in the container watches for a `berth exec`
    /// arriving (the runtime's init, before it execs the program) and tries to open its
    /// executable for writing; the runtime runs from a read-only or sealed copy, so it cannot.
    @Test func anExecNeverHandsTheContainerAWritableRuntime() async throws {
        let probe = try #require(Self.probeBinary, "berth-probe not built")
        try await withEngine { h in
            let run = try await h.berth(["run", "-d", "--name", "watcher", "-v", "\(probe):/probe:ro", "busybox", "/probe", "runtime-exe=60"])
            try #require(run.status == 0, "\(run.err)")
            var execs = 0
            var finished = false
            while execs < 100 && !finished {
                _ = try await h.berth(["exec", "watcher", "true"])
                execs += 1
                finished = try await h.berth(["inspect", "-f", "{{.State.Running}}", "watcher"]).out.hasPrefix("false")
            }
            #expect(try await h.berth(["wait", "watcher"]).out == "0\n")
            let outcome = Self.parse(try await h.berth(["logs", "watcher"]).out)["runtime-exe=60"]
            #expect(outcome?.verdict == "blocked", "after \(execs) execs: \(outcome.map(\.description) ?? "no output")")
            print("runtime-exe: \(outcome.map(\.description) ?? "-") after \(execs) execs")
        }
    }
}

/// Runs the probe on the host (only probes that change nothing: they look and ptrace-detach).
private func runProgramOutput(_ path: String, _ arguments: [String]) throws -> [String: ProbeOutcome] {
    let output = "/tmp/berth-probe-host-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
    let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let null = open("/dev/null", O_RDWR | O_CLOEXEC)
    defer { close(fd); close(null); unlink(output) }
    var spawn = Spawn(executable: path, arguments: arguments, environment: [])
    spawn.fileDescriptors = [null, fd, null]
    let pid = try spawn.start()
    _ = try Spawn.waitForExit(pid)
    return EscapeProbeTests.parse(try String(contentsOfFile: output, encoding: .utf8))
}

private func currentHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count)
    return String(cString: buffer)
}

extension EscapeProbeTests {
    /// Other containers' cgroups are not visible: a default container has a private cgroup
    /// namespace, so its cgroup mounts hold its own cgroup and nothing below or beside it. On a v1
    /// host --privileged keeps the host's namespace (docker's rule) and sees the machine's cgroups,
    /// which shows the check is real.
    @Test func aDefaultContainerSeesOnlyItsOwnCgroup() async throws {
        try await withEngine { h in
            let count = "find /sys/fs/cgroup -mindepth 2 -type d | wc -l; cut -d: -f3 /proc/self/cgroup | sort -u"
            let own = try await h.berth(["run", "--rm", "busybox", "sh", "-c", count])
            #expect(own.status == 0, "\(own.err)")
            let lines = own.out.split(separator: "\n").map(String.init)
            #expect(lines.first == "0", "cgroups below the container's own are visible: \(own.out)")
            #expect(lines.dropFirst() == ["/"], "the container's cgroup paths are not its namespace's root: \(own.out)")
            if !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") {
                let host = try await h.berth(["run", "--rm", "--privileged", "busybox", "sh", "-c", count])
                #expect((Int(host.out.split(separator: "\n").first ?? "") ?? 0) > 0, "\(host.out)")
            }
        }
    }
}
