// ShimAccessTests: who may call a running shim. Its socket is 0600 in a 0700 directory, so another
// uid cannot connect at all; one that gets past the file permissions (CAP_DAC_OVERRIDE kept, as
// root-like helpers have) is refused by the shim's SO_PEERCRED check with a clear permission
// error and nothing is served to it; root, the shim's own uid, gets the same call answered.
// The other uid is 65534 (nobody) through util-linux's setpriv running `berth-ctr shim … state`.
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct ShimAccessTests {
    static let nobody: UInt32 = 65534

    /// berth-ctr, built next to berth-shim.
    static var ctr: String? {
        guard let shim = ShimHarness.binaries?.shim else { return nil }
        let path = URL(fileURLWithPath: shim).deletingLastPathComponent().appendingPathComponent("berth-ctr").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    static func mode(_ path: String) -> (mode: mode_t, uid: uid_t)? {
        var info = stat()
        return lstat(path, &info) == 0 ? (info.st_mode & 0o7777, info.st_uid) : nil
    }

    /// `berth-ctr shim … state` for the container, as root or (with `setpriv` options) as nobody.
    static func state(_ h: ShimHarness, _ c: RunningContainer, ctr: String, asNobody setpriv: [String]? = nil) async throws -> ProgramOutput {
        let call = [ctr, "shim", "state", "--socket", c.address, "--id", c.id, "--namespace", h.namespace]
        guard let setpriv else { return try await execute(call[0], Array(call.dropFirst())) }
        return try await execute("/usr/bin/setpriv", ["--reuid=\(nobody)", "--regid=\(nobody)"] + setpriv + ["--"] + call,
                                 environment: ["PATH": "/usr/bin:/bin"])
    }

    @Test func onlyTheShimsOwnUidIsServed() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            Issue.record("setpriv (util-linux) is needed")
            return
        }
        guard let ctr = Self.ctr else {
            Issue.record("berth-ctr is not built next to berth-shim")
            return
        }
        try await withShim { h in
            // The work directory lets everyone through, so the socket's own directory is what stops them.
            chmod(h.work, 0o755)
            let c = try await h.container("guarded", ["/bin/sleep", "1000"])
            let socket = String(c.address.dropFirst("unix://".count))
            let directory = (socket as NSString).deletingLastPathComponent
            let socketMode = Self.mode(socket), directoryMode = Self.mode(directory)
            #expect(socketMode?.mode == 0o600 && socketMode?.uid == 0, "socket \(socket): \(String(describing: socketMode))")
            #expect(directoryMode?.mode == 0o700 && directoryMode?.uid == 0, "directory \(directory): \(String(describing: directoryMode))")

            // Root, the shim's uid: served.
            let served = try await Self.state(h, c, ctr: ctr)
            #expect(served.status == 0 && served.stdoutText.contains("\"status\":\"RUNNING\"")
                    && served.stdoutText.contains("\"pid\":\(c.pid)"), "root: \(served.status) \(served.stdoutText) \(served.stderr)")

            // Another uid: the 0700 directory stops the connect.
            let plain = try await Self.state(h, c, ctr: ctr, asNobody: ["--clear-groups"])
            #expect(plain.status != 0 && plain.stderr.contains("permission denied while trying to connect to the shim socket"),
                    "uid \(Self.nobody): \(plain.status) \(plain.stdoutText) \(plain.stderr)")

            // Another uid past the file permissions: connected, then refused by SO_PEERCRED with the reason.
            let override = ["--clear-groups", "--inh-caps=+dac_override", "--ambient-caps=+dac_override"]
            let peer = try await Self.state(h, c, ctr: ctr, asNobody: override)
            #expect(peer.status != 0, "uid \(Self.nobody) with CAP_DAC_OVERRIDE was served: \(peer.stdoutText)")
            #expect(peer.stderr.contains("permission denied: peer uid \(Self.nobody)"), "the refusal gives no reason: \(peer.stderr)")
            #expect(!peer.stdoutText.contains("RUNNING"), "state leaked to uid \(Self.nobody): \(peer.stdoutText)")

            // The refusals cost the shim nothing: it still serves root, and the container runs on.
            let after = try await Self.state(h, c, ctr: ctr)
            #expect(after.status == 0 && after.stdoutText.contains("\"status\":\"RUNNING\""), "root after the refusals: \(after.stderr)")
            #expect(processAlive(c.shimPID) && processAlive(Int32(c.pid)))
            print("shim access: uid \(Self.nobody): \(plain.stderr.trimmingCharacters(in: .whitespacesAndNewlines)); "
                  + "with CAP_DAC_OVERRIDE: \(peer.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")

            try await c.task.kill(id: c.id, signal: SIGKILL)
            _ = try await c.task.wait(id: c.id)
            try await c.task.delete(id: c.id)
        }
    }
}
