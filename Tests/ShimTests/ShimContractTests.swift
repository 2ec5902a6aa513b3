// The shim binary contract (shared notes §3): `start` detaches a daemon, prints only the address
// and writes it to the bundle, and answers with the running shim's address when called again;
// `-v` prints the version; `delete` cleans up a container whose shim was killed and prints a
// protobuf DeleteResponse; `rootfs` mounts are mounted into the bundle and unmounted on Delete.
import API
import Errdefs
import Foundation
import RPC
import RPCNIO
import SwiftProtobuf
import Sys
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct ShimContractTests {
    @Test func startDetachesPrintsAndWritesTheAddress() async throws {
        try await withShim { h in
            let id = "contract"
            let bundle = try h.bundle(id: id, args: ["/bin/true"])
            // containerd writes options (or BootstrapParams) on stdin; any bytes are accepted.
            let shim = try await h.startShim(id: id, bundle: bundle, input: Array("not a protobuf \u{0}\u{1}".utf8))
            let path = String(shim.address.dropFirst("unix://".count))
            #expect(shim.address.hasPrefix("unix://\(h.work)/s/"))
            #expect(path.utf8.count <= 106)
            #expect(try String(contentsOfFile: bundle + "/address", encoding: .utf8) == shim.address)

            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK && info.st_mode & 0o777 == 0o600)
            #expect(stat(h.work + "/s", &info) == 0 && info.st_mode & 0o777 == 0o700)
            // Detached: its own session and process group, not our child.
            #expect(getsid(shim.pid) == shim.pid && getpgid(shim.pid) == shim.pid)
            #expect(parentOf(shim.pid) != getpid())
            #expect(try threadCount(shim.pid) == 1)

            // A second start finds the shim serving and prints the same address.
            let again = try await execute(h.shimBinary, h.flags(id: id) + ["start"], cwd: bundle)
            #expect(again.status == 0 && again.stdoutText == shim.address && again.stderr.isEmpty)
            #expect(try String(contentsOfFile: bundle + "/shim.pid", encoding: .utf8) == String(shim.pid))

            let task = try await h.client(shim.address)
            #expect(try await task.connect(id: id).shimPid == UInt32(shim.pid))
            // Both service names are served.
            let v3 = TaskClient(rpc: task.rpc, namespace: h.namespace, service: TaskAPI.serviceV3)
            #expect(try await v3.connect(id: id).shimPid == UInt32(shim.pid))

            // SIGTERM with no container: the shim leaves, and takes its socket with it.
            kill(shim.pid, SIGTERM)
            #expect(await eventually { !processAlive(shim.pid) })
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func versionFlag() async throws {
        let harness = try ShimHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.work) }
        let result = try await execute(harness.shimBinary, ["-v"])
        #expect(result.status == 0 && result.stdoutText.hasPrefix("berth-shim:\n  Version:"))
        let bad = try await execute(harness.shimBinary, ["-no-such-flag", "start"])
        #expect(bad.status == 2 && bad.stderr.contains("flag provided but not defined: -no-such-flag"))
    }

    @Test func deleteCleansUpAfterTheShimWasKilled() async throws {
        try await withShim { h in
            let id = "orphan"
            let c = try await h.container(id, ["/bin/sleep", "1000"])
            kill(c.shimPID, SIGKILL)
            #expect(await eventually { !processAlive(c.shimPID) })
            #expect(processAlive(Int32(c.pid)), "the container outlives its shim")

            let result = try await execute(h.shimBinary, h.flags(id: id) + ["-bundle", c.bundle, "delete"], cwd: c.bundle)
            #expect(result.status == 0, "delete failed: \(result.stderr)")
            let response = try Containerd_Task_V2_DeleteResponse(serializedBytes: result.stdout)
            #expect(response.pid == c.pid)
            #expect(response.exitStatus == 137)
            #expect(response.exitedAt.seconds > 0)
            #expect(await eventually { !processAlive(Int32(c.pid)) }, "delete left the container running")
            let state = try await execute(h.runtimeBinary, ["--root", h.runtimeRoot, "state", id])
            #expect(state.status != 0, "the runtime still has the container")
        }
    }

    @Test func rootfsMountsAreMountedAndUnmounted() async throws {
        try await withShim { h in
            let id = "mounted"
            let bundle = try h.bundle(id: id, args: ["/bin/sh", "-c", "test -x /bin/busybox && echo mounted"])
            // The bundle's own rootfs is emptied: the container only works if the shim mounts one.
            try FileManager.default.removeItem(atPath: bundle + "/rootfs")
            try FileManager.default.createDirectory(atPath: bundle + "/rootfs", withIntermediateDirectories: false)
            let stdout = try FifoReader("\(h.work)/\(id)-stdout")
            let shim = try await h.startShim(id: id, bundle: bundle)
            let task = try await h.client(shim.address)
            var create = try h.createRequest(id: id, bundle: bundle, stdout: stdout.path)
            var mount = Containerd_Types_Mount()
            mount.type = "bind"
            mount.source = try ShimHarness.testImage() + "/rootfs"
            mount.options = ["rbind"]
            create.rootfs = [mount]
            _ = try await task.create(create, timeout: .seconds(30))
            #expect(isMountPoint(bundle + "/rootfs"))
            try await task.start(id: id)
            #expect(try await task.wait(id: id).exitStatus == 0)
            #expect(stdout.available() == "mounted\n")
            try await task.delete(id: id)
            #expect(!isMountPoint(bundle + "/rootfs"))
        }
    }
}

func threadCount(_ pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? ""
    return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
}

/// Whether `path` is a mount point: its mount id (from /proc/self/fdinfo of a descriptor on the directory) differs from
/// its parent's. Reading /proc/self/mountinfo instead can miss a line while other tests mount and unmount.
func isMountPoint(_ path: String) -> Bool {
    func mountID(_ p: String) -> String? {
        let fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let info = (try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8)) ?? ""
        return info.split(separator: "\n").first { $0.hasPrefix("mnt_id:") }.map(String.init)
    }
    guard let own = mountID(path), let parent = mountID(path + "/..") else { return false }
    return own != parent
}
