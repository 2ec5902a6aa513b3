// ShimDelete: the `delete` half of the binary contract (shared notes §3.3), run when the shim is
// gone or unreachable: force-delete the container through the runtime the shim recorded in the
// bundle, unmount `<bundle>/rootfs`, and report a DeleteResponse — the recorded exit if the shim
// wrote one before it died, else the init pid with 137 (killed) and now. Warnings go to stderr,
// which containerd logs; stdout carries only the protobuf.
import Errdefs
import Glibc
import Sys

public enum ShimDelete {
    public static func run(flags: ShimFlags, bundle: String, shimDirectory: String) throws(CoreError) -> DeleteResponse {
        guard !flags.id.isEmpty else { throw CoreError(.invalidArgument, "shim id cannot be empty") }
        var runtime = try RuntimeConfig.load(bundle: bundle)
        if runtime == nil {
            runtime = try RuntimeConfig.resolve(options: nil, namespace: flags.namespace, bundle: bundle, shimDirectory: shimDirectory)
        }
        guard let runtime else { return DeleteResponse() }
        do {
            let null = try FileDescriptor.open("/dev/null", flags: O_RDWR)
            var spawn = Spawn(executable: runtime.binary, arguments: runtime.commandLine(["delete", "--force", flags.id]),
                              environment: ProcessEnvironment.current())
            spawn.fileDescriptors = [null.rawValue, 2, 2]
            let pid = try withExtendedLifetime(null) { () throws(CoreError) -> Int32 in try spawn.start() }
            let status = try Spawn.waitForExit(pid)
            if status != .exited(0) { warn("runtime delete --force \(flags.id): \(status)") }
        } catch {
            warn("runtime delete --force \(flags.id): \(error.message)")
        }
        RootfsMounts.unmountAll(RootfsMounts.target(bundle: bundle))

        var response = DeleteResponse()
        if let record = try? ExitRecord.load(bundle: bundle) {
            response.pid = record.pid
            response.exitStatus = record.exitStatus
            response.exitedAt = record.exitedAt
        } else {
            if case .success(let pid) = ShimTaskService.readPid("\(bundle)/init.pid") { response.pid = UInt32(pid) }
            response.exitStatus = 128 + UInt32(SIGKILL)
            response.exitedAt = .now()
        }
        return response
    }

    private static func warn(_ message: String) {
        ShimLog(debug: false).warn(message)
    }
}
