// The known runtime escapes, each tried for real and shown to fail:
// - CVE-2019-5736: rewriting the runtime binary through /proc/<init>/exe;
// - CVE-2024-21626: a process cwd that reaches the host through a descriptor (/proc/self/fd/N);
// - mount targets that follow a symlink in the rootfs to a place outside it.
import Foundation
import Sys
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct EscapeProtectionTests {
    /// The attack, from the host's root (stronger than anything in a container): keep a handle on
    /// the init's /proc/<pid>/exe while it runs, then reopen that handle for writing once the
    /// container's program has replaced the init (the binary is no longer busy then). Without
    /// protection the second open succeeds and would overwrite the runtime; here both fail with
    /// EROFS. The container runs from a copy of the runtime, so a regression cannot damage the build.
    @Test func runtimeBinaryCannotBeRewrittenThroughProcExe() throws {
        try withRuntime { rt in
            let copy = rt.work + "/bin/berth-runtime"
            try FileManager.default.createDirectory(atPath: rt.work + "/bin", withIntermediateDirectories: true)
            #expect(try runProgram("/bin/cp", [rt.binary, copy]).status == 0)
            let before = try Data(contentsOf: URL(fileURLWithPath: copy))
            let bundle = try rt.bundle { $0.setProcess("args", ["/bin/sleep", "30"]) }
            let id = rt.newID()
            let created = try runProgram(copy, ["--root", rt.root, "create", "--bundle", bundle, id])
            try #require(created.status == 0, "\(created.stderr)")
            let pid = try statePid(rt, id)
            let exe = "/proc/\(pid)/exe"

            let handle = open(exe, O_RDONLY | O_CLOEXEC)
            try #require(handle >= 0, "open \(exe): errno \(errno)")
            defer { close(handle) }
            #expect(open(exe, O_WRONLY | O_CLOEXEC) == -1 && errno == EROFS, "while the init runs")

            #expect(try rt.runtime(["start", id]).status == 0)
            // Wait until the container's program (busybox) has replaced the init.
            let deadline = ContinuousClock.now + .seconds(5)
            while (try? FileManager.default.destinationOfSymbolicLink(atPath: exe)) != "/bin/busybox",
                  ContinuousClock.now < deadline { usleep(2_000) }
            let reopened = open("/proc/self/fd/\(handle)", O_WRONLY | O_CLOEXEC)
            let reopenErrno = errno
            if reopened >= 0 { close(reopened) }
            #expect(reopened == -1 && reopenErrno == EROFS, "reopening the init's exe for writing: errno \(reopenErrno)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == before)
        }
    }

    /// A preserved descriptor naming a host directory, given as process.cwd, would put the
    /// container's process in the host's tree. It is refused; other descriptor numbers the init
    /// might hold never lead to the host either.
    @Test func cwdThroughAHostDescriptorIsRefused() throws {
        try withRuntime { rt in
            let hostDir = rt.work + "/host-dir"
            try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: hostDir + "/host-marker", contents: Data())
            let dirFD = open(hostDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            defer { close(dirFD) }

            let leaked = try rt.bundle {
                $0.setProcess("args", ["/bin/ls"])
                $0.setProcess("cwd", "/proc/self/fd/3")
            }
            let r = try rt.runtime(["run", "--preserve-fds", "1", "--bundle", leaked, rt.newID()], extraFDs: [dirFD])
            #expect(r.status != 0 && r.stderr.contains("process.cwd resolves outside the container's root"),
                    "\(r.status) \(r.stdout) \(r.stderr)")
            #expect(!r.stdout.contains("host-marker"))

            for n in 4...9 {
                let bundle = try rt.bundle {
                    $0.setProcess("args", ["/bin/ls"])
                    $0.setProcess("cwd", "/proc/self/fd/\(n)")
                }
                let probe = try rt.runtime(["run", "--bundle", bundle, rt.newID()], extraFDs: [dirFD])
                #expect(!probe.stdout.contains("host-marker"), "fd \(n): \(probe.stdout)")
            }
            #expect(try rt.runtime(["list", "-q"]).stdout == "")
        }
    }

    /// Symlinks in the rootfs pointing at a host directory — absolutely and through "..".
    /// The mounts land inside the rootfs, where the link resolves from the container's point of
    /// view; the host directory stays untouched.
    @Test func mountTargetsNeverFollowSymlinksOutOfTheRootfs() throws {
        try withRuntime { rt in
            let hostDir = rt.work + "/host-target"
            try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
            let bundle = try rt.bundle {
                $0.setProcess("args", ["/bin/sh", "-c", "touch /absolute/a /relative/b && grep -c tmpfs-escape /proc/self/mountinfo"])
                var mounts = $0["mounts"] as? [[String: Any]] ?? []
                for target in ["/absolute", "/relative"] {
                    mounts.append(["destination": target, "type": "tmpfs", "source": "tmpfs-escape", "options": ["nosuid"]])
                }
                $0["mounts"] = mounts
            }
            try FileManager.default.createSymbolicLink(atPath: bundle + "/rootfs/absolute", withDestinationPath: hostDir)
            try FileManager.default.createSymbolicLink(atPath: bundle + "/rootfs/relative",
                                                       withDestinationPath: "../../../../../../../../.." + hostDir)
            let r = try rt.runtime(["run", "--bundle", bundle, rt.newID()])
            #expect(r.status == 0 && r.stdout == "2\n", "\(r.stdout) \(r.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: hostDir).isEmpty)
            // Both mounts were made on the link's target inside the rootfs, which now exists there.
            var st = stat()
            #expect(stat(bundle + "/rootfs" + hostDir, &st) == 0)
        }
    }
}
