// CtrTests: berth-ctr, the debug CLI, against a real berth-supervisor — `run --rm` relays the
// container's output and exits with its status; a detached run shows in `tasks ls` and
// `containers ls` (table and JSON), takes an `exec`, and goes with `tasks delete -f` and
// `containers rm`; global flags work before the command, as ctr's do; bad input is refused.
// `tasks attach` reattaches to a detached task through the fifos its task keeps. Layer snapshots
// no image needs go with the last container built on them, or at the next start.
import API
import Foundation
import Sys
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.offPool) struct CtrTests {
    /// Runs berth-ctr with `-a ADDRESS -n NAMESPACE` before `arguments`; returns (status, stdout, stderr).
    /// The namespace is the harness's own, so the cgroup parent `/NAMESPACE` that runs make is
    /// one the cleanup removes (and scripts/check-leftovers.sh would report). Its stdin is
    /// /dev/null, or a pipe holding `input` and left open until it exits. One that runs for a
    /// minute is killed (status -2).
    /// Runs berth-ctr; the wait happens on a thread of its own, off Swift's cooperative pool
    /// (blocking it would stall every other test in this process).
    func ctr(_ h: SupervisorHarness, _ arguments: [String], input: String? = nil) async throws -> (Int32, String, String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try ctrBlocking(h, arguments, input: input) }) }.start()
        }
    }

    func ctrBlocking(_ h: SupervisorHarness, _ arguments: [String], input: String? = nil) throws -> (Int32, String, String) {
        let ctr = URL(fileURLWithPath: h.binaries.supervisor).deletingLastPathComponent().appendingPathComponent("berth-ctr").path
        let base = "\(h.work)/ctr-\(UUID().uuidString.prefix(6))"
        var ends: [Int32] = [-1, -1]
        if let input {
            guard pipe(&ends) == 0 else { throw HarnessFailure("pipe: errno \(errno)") }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            _ = input.utf8CString.withUnsafeBufferPointer { write(ends[1], $0.baseAddress, $0.count - 1) }
        }
        let stdin = input == nil ? open("/dev/null", O_RDONLY | O_CLOEXEC) : ends[0]
        let out = open(base + ".out", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        let err = open(base + ".err", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(stdin); close(out); close(err); if ends[1] >= 0 { close(ends[1]) } }
        var spawn = Spawn(executable: ctr, arguments: ["-a", h.address, "-n", h.ctrNamespace] + arguments, environment: ["PATH=/usr/bin:/bin"])
        spawn.fileDescriptors = [stdin, out, err]
        let pid = try spawn.start()
        var status: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(60)
        var code: Int32 = -2
        while true {
            if wait4(pid, &status, WNOHANG, nil) == pid, let exit = ExitStatus(waitStatus: status) {
                code = if case .exited(let value) = exit { value } else { -1 }
                break
            }
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = try? Spawn.waitForExit(pid)
                break
            }
            usleep(2_000)
        }
        return (code, try String(contentsOfFile: base + ".out", encoding: .utf8), try String(contentsOfFile: base + ".err", encoding: .utf8))
    }

    @Test func runExecListAndRemove() async throws {
        try await withSupervisor { h, client in
            let rootfs = try SupervisorHarness.testImage() + "/rootfs"
            let runtime = ["--runtime-binary", h.binaries.runtime, "--runtime-root", h.runtimeRoot]
            let (status, out, err) = try await ctr(h, ["run", "--rm", "--rootfs"] + runtime + [rootfs, "once", "sh", "-c", "echo out $(hostname); echo err >&2; exit 6"])
            #expect(status == 6)
            #expect(out == "out once\n")
            #expect(err == "err\n")
            #expect(try await client.inNamespace(h.ctrNamespace).listContainers().isEmpty)  // --rm

            let detached = try await ctr(h, ["run", "-d", "--rootfs"] + runtime + [rootfs, "bg", "sleep", "1000"])
            #expect(detached.0 == 0, "\(detached.2)")
            let tasks = try await ctr(h, ["tasks", "ls"]).1.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(tasks.first == ["TASK", "PID", "STATUS"])
            #expect(tasks.count == 2 && tasks[1][0] == "bg" && tasks[1][2] == "RUNNING")
            let json = try await ctr(h, ["containers", "ls", "--format", "json"]).1
            let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
            #expect(decoded?.map { $0["id"] as? String } == ["bg"])

            let exec = try await ctr(h, ["tasks", "exec", "--exec-id", "probe", "bg", "sh", "-c", "echo inside; exit 3"])
            #expect(exec.0 == 3 && exec.1 == "inside\n")
            #expect(try await ctr(h, ["tasks", "delete", "-f", "bg"]).0 == 0)
            #expect(try await ctr(h, ["containers", "rm", "bg"]).0 == 0)
            #expect(try await ctr(h, ["c", "ls", "-q"]).1 == "")
        }
    }

    @Test func imagesImportListAndRemoveWithGarbageCollection() async throws {
        try await withSupervisor { h, client in
            let image = try SupervisorHarness.testImage()
            let oci = try await ctr(h, ["images", "import", image + "/busybox-oci.tar"])
            #expect(oci.0 == 0 && oci.1.hasPrefix("docker.io/library/busybox:latest\tsha256:"), "\(oci.2)")
            let docker = try await ctr(h, ["i", "import", image + "/busybox-docker.tar"])
            #expect(docker.0 == 0, "\(docker.2)")
            let listed = try await ctr(h, ["images", "ls", "-q"])
            #expect(listed.1 == "docker.io/library/busybox:latest\n")
            // Export, then import the export into another namespace: the same image.
            let exported = "\(h.work)/exported.tar"
            #expect(try await ctr(h, ["images", "export", exported, "busybox"]).0 == 0)
            let reimported = try await ctr(h, ["-n", "second", "images", "import", exported])
            #expect(reimported.0 == 0 && reimported.1 == docker.1, "\(reimported.2)")
            #expect(try await ctr(h, ["-n", "second", "images", "rm", "busybox"]).0 == 0)
            let blobs = "\(h.work)/lib/content/blobs/sha256"
            #expect(try FileManager.default.contentsOfDirectory(atPath: blobs).count >= 3)  // manifest, config, layer
            // Images are per namespace.
            #expect(try await client.inNamespace("elsewhere").call(SupervisorAPI.images, "List", Supervisor_ListImagesRequest())
                    as Supervisor_ListImagesResponse == Supervisor_ListImagesResponse())
            #expect(try await ctr(h, ["images", "rm", "busybox"]).0 == 0)
            #expect(try await ctr(h, ["images", "ls", "-q"]).1 == "")
            #expect(try FileManager.default.contentsOfDirectory(atPath: blobs).isEmpty)  // nothing references them now
            let missing = try await ctr(h, ["images", "rm", "busybox"])
            #expect(missing.0 != 0 && missing.2.contains("no image docker.io/library/busybox:latest"))
        }
    }

    @Test func runFromAnImageOnAnOverlaySnapshot() async throws {
        try await withSupervisor { h, _ in
            let image = try SupervisorHarness.testImage()
            #expect(try await ctr(h, ["images", "import", image + "/busybox-docker.tar"]).0 == 0)
            let runtime = ["--runtime-binary", h.binaries.runtime, "--runtime-root", h.runtimeRoot]
            let first = try await ctr(h, ["run", "--rm"] + runtime + ["busybox", "img1", "sh", "-c", "echo written > /etc/motd; cat /etc/motd; echo $PATH"])
            #expect(first.0 == 0 && first.1 == "written\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n", "\(first.2)")
            // The write went to that container's own layer, which --rm removed: a new container
            // from the same image does not see it, and the image's layer is untouched.
            let second = try await ctr(h, ["run", "--rm"] + runtime + ["busybox", "img2", "sh", "-c", "cat /etc/motd 2>&1; exit 3"])
            #expect(second.0 == 3 && second.1.contains("No such file"))
            let snapshots = "\(h.work)/lib/snapshots"
            let ids = try FileManager.default.contentsOfDirectory(atPath: snapshots).filter { Int($0) != nil }
            #expect(ids.count == 1)  // the committed layer, shared and kept; both containers' layers gone
            #expect(!FileManager.default.fileExists(atPath: "\(snapshots)/\(ids[0])/fs/etc/motd"))
            let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            #expect(!mounts.contains(snapshots))

            // The snapshot and image views of a running container.
            #expect(try await ctr(h, ["run", "-d"] + runtime + ["busybox", "img3", "sleep", "1000"]).0 == 0)
            let listed = try await ctr(h, ["snapshots", "ls"]).1.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(listed.first == ["KEY", "PARENT", "KIND"])
            let layer = try #require(listed.first { $0.last == "Committed" })
            #expect(listed.contains { $0 == ["img3", layer[0], "Active"] })
            let refused = try await ctr(h, ["snapshots", "rm", "img3"])
            #expect(refused.0 != 0 && refused.2.contains("container img3's rootfs"))
            #expect(try await ctr(h, ["snapshots", "rm", layer[0]]).0 != 0)  // img3 is built on it
            #expect(try await ctr(h, ["snapshots", "mounts", "/mnt", "img3"]).1.hasPrefix("mount -t overlay overlay /mnt -o index=off,lowerdir="))
            let inspect = try await ctr(h, ["images", "inspect", "busybox"]).1
            let config = try JSONSerialization.jsonObject(with: Data(inspect.utf8)) as? [String: Any]
            #expect(((config?["config"] as? [String: Any])?["rootfs"] as? [String: Any])?["diff_ids"] as? [String] == [layer[0]])
            #expect(try await ctr(h, ["tasks", "delete", "-f", "img3"]).0 == 0)
            #expect(try await ctr(h, ["containers", "rm", "img3"]).0 == 0)
            #expect(try await ctr(h, ["snapshots", "rm", layer[0]]).0 == 0)
            #expect(try await ctr(h, ["snapshots", "ls"]).1 == "KEY    PARENT    KIND\n")
        }
    }

    /// A detached task keeps its stdio fifos: `tasks attach` gets what it wrote meanwhile, feeds
    /// it our input, relays it until it exits and exits with its status; `tasks delete` removes
    /// the fifos, and so does `run --rm` for a foreground task's. Through berth-shim and through
    /// containerd's runc shim (which opens its ends of the fifos only once berth-ctr has its own).
    @Test(arguments: ["io.containerd.berth.v1", "io.containerd.runc.v2"])
    func attachToADetachedTask(shim: String) async throws {
        guard shim == "io.containerd.berth.v1" || FileManager.default.isExecutableFile(atPath: "/usr/bin/containerd-shim-runc-v2") else { return }
        try await withSupervisor { h, _ in
            let rootfs = try SupervisorHarness.testImage() + "/rootfs"
            let runtime = ["--runtime", shim, "--runtime-binary", h.binaries.runtime, "--runtime-root", h.runtimeRoot]
            let fifos = "/run/berth/ctr-fifo/\(h.ctrNamespace)"
            let detached = try await ctr(h, ["run", "-d", "--rootfs"] + runtime + [rootfs, "talk", "sh", "-c", "echo ready; read x; echo got:$x; echo bye >&2; exit 5"])
            #expect(detached.0 == 0, "\(detached.2)")
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: "\(fifos)/talk")) == ["stdin", "stdout", "stderr"])
            #expect(await eventually { (try? await ctr(h, ["tasks", "ls"]).1.contains("RUNNING")) ?? false })

            let attached = try await ctr(h, ["tasks", "attach", "talk"], input: "hello\n")
            #expect(attached.0 == 5, "\(attached.2)")
            #expect(attached.1 == "ready\ngot:hello\n")
            #expect(attached.2 == "bye\n")
            let again = try await ctr(h, ["tasks", "attach", "talk"])  // stopped: its status at once
            #expect(again.0 == 5 && again.1.isEmpty)
            #expect(try await ctr(h, ["tasks", "delete", "talk"]).0 == 0)
            #expect(!FileManager.default.fileExists(atPath: fifos))
            #expect(try await ctr(h, ["containers", "rm", "talk"]).0 == 0)

            // `tasks start` gives a task the same fifos.
            #expect(try await ctr(h, ["containers", "create", "--rootfs"] + runtime + [rootfs, "later", "sh", "-c", "read x; echo $x$x"]).0 == 0)
            #expect(try await ctr(h, ["tasks", "start", "later"]).0 == 0)
            let later = try await ctr(h, ["tasks", "attach", "later"], input: "ab\n")
            #expect(later.0 == 0 && later.1 == "abab\n", "\(later.2)")
            #expect(try await ctr(h, ["tasks", "delete", "later"]).0 == 0)
            #expect(try await ctr(h, ["containers", "rm", "later"]).0 == 0)

            #expect(try await ctr(h, ["run", "--rm", "--rootfs"] + runtime + [rootfs, "fg", "true"]).0 == 0)
            #expect(!FileManager.default.fileExists(atPath: fifos))
            let missing = try await ctr(h, ["tasks", "attach", "nothing"])
            #expect(missing.0 != 0 && missing.2.contains("no task nothing"))
        }
    }

    /// The layer snapshots of a removed image stay while a container is built on them, and go
    /// with that container: from the records and from the disk.
    @Test func layerSnapshotsGoWithTheirLastUser() async throws {
        try await withSupervisor { h, _ in
            #expect(try await ctr(h, ["images", "import", try SupervisorHarness.testImage() + "/busybox-oci.tar"]).0 == 0)
            #expect(try await ctr(h, ["containers", "create", "busybox", "keeper"]).0 == 0)
            #expect(try await ctr(h, ["images", "rm", "busybox"]).0 == 0)
            let snapshots = "\(h.work)/lib/snapshots"
            let listed = try await ctr(h, ["snapshots", "ls"]).1.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            let layer = try #require(listed.first { $0.last == "Committed" })
            #expect(listed.contains { $0 == ["keeper", layer[0], "Active"] })  // the container's, on the layer
            #expect(try FileManager.default.contentsOfDirectory(atPath: snapshots).filter { Int($0) != nil }.count == 2)

            #expect(try await ctr(h, ["containers", "rm", "keeper"]).0 == 0)
            #expect(try await ctr(h, ["snapshots", "ls"]).1 == "KEY    PARENT    KIND\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: snapshots) == ["meta"])
        }
    }

    /// A supervisor killed between an image's removal and the collection collects at its next start.
    @Test func aRestartCollectsWhatACrashLeft() async throws {
        try await withSupervisor { h, _ in
            #expect(try await ctr(h, ["images", "import", try SupervisorHarness.testImage() + "/busybox-oci.tar"]).0 == 0)
            #expect(try await ctr(h, ["containers", "create", "busybox", "brief"]).0 == 0)
            #expect(try await ctr(h, ["containers", "rm", "brief"]).0 == 0)
            let snapshots = "\(h.work)/lib/snapshots"
            #expect(try FileManager.default.contentsOfDirectory(atPath: snapshots).filter { Int($0) != nil }.count == 1)  // the image's layer

            h.killSupervisor()
            let records = "\(h.work)/lib/images/\(h.ctrNamespace)"
            for name in try FileManager.default.contentsOfDirectory(atPath: records) { unlink("\(records)/\(name)") }  // the image record deleted, no more
            _ = try await h.start()
            #expect(try await ctr(h, ["snapshots", "ls"]).1 == "KEY    PARENT    KIND\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: snapshots) == ["meta"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(h.work)/lib/content/blobs/sha256").isEmpty)
        }
    }

    @Test func badInputIsRefusedClearly() async throws {
        try await withSupervisor { h, _ in
            let image = try await ctr(h, ["run", "docker.io/library/nothing:latest", "x"])
            #expect(image.0 != 0 && image.2.contains("no image docker.io/library/nothing:latest"))
            let garbage = try await ctr(h, ["images", "import", "/etc/hostname"])
            #expect(garbage.0 != 0 && garbage.2.contains("DataLoss"))
            let missing = try await ctr(h, ["tasks", "kill", "nothing-here"])
            #expect(missing.0 != 0 && missing.2.contains("no task nothing-here in namespace \(h.ctrNamespace)"))
            let signal = try await ctr(h, ["tasks", "kill", "-s", "SIGNOPE", "x"])
            #expect(signal.0 != 0 && signal.2.contains("unknown signal SIGNOPE"))
            let down = try await ctr(h, ["-a", "/tmp/berth-no-such.sock", "tasks", "ls"])
            #expect(down.0 != 0 && down.2.contains("cannot reach berth-supervisor"))
        }
    }
}
