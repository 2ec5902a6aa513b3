// ShimLauncher: containerd's shim binary contract, from the caller's side. `start` runs
// `SHIM -namespace NS -address ADDR -publish-binary BIN -id ID start` in the bundle with
// TTRPC_ADDRESS pointing at the supervisor (where the shim forwards its events), and returns the
// socket path the shim printed; `delete` runs `... -bundle DIR delete` to clean up after a shim
// that is gone and decodes the DeleteResponse it prints.
import API
import Errdefs
import Foundation

public struct ShimLauncher: Sendable {
    /// The supervisor's socket: shims derive their own socket directory from it and publish to it.
    public let address: String
    /// What `-publish-binary` names (containerd passes itself).
    public let publishBinary: String

    public init(address: String, publishBinary: String) {
        self.address = address
        self.publishBinary = publishBinary
    }

    private func flags(_ namespace: String, _ id: String) -> [String] {
        ["-namespace", namespace, "-address", address, "-publish-binary", publishBinary, "-id", id]
    }

    private var environment: [String] {
        ["TTRPC_ADDRESS=\(address)", "PATH=" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin")]
    }

    /// Starts the shim for `id` in `bundle`; returns the path of its socket.
    public func start(shim: String, namespace: String, id: String, bundle: String) async throws -> String {
        let result = try await ChildProgram.run(shim, flags(namespace, id) + ["start"], cwd: bundle, environment: environment)
        guard result.status == .exited(0) else {
            let detail = result.stderrText.isEmpty ? result.stdoutText : result.stderrText
            throw CoreError(.unavailable, "start shim \(shim) for \(namespace)/\(id): \(result.status): \(detail)")
        }
        var printed = result.stdoutText
        if printed.hasPrefix("unix://") { printed.removeFirst("unix://".count) }
        guard printed.hasPrefix("/") else {
            throw CoreError(.internal, "shim \(shim) printed no socket address: \(result.stdoutText)")
        }
        return printed
    }

    /// Cleans up after a shim that is gone; returns what the shim's delete reported, if it could.
    public func delete(shim: String, namespace: String, id: String, bundle: String) async throws -> Containerd_Task_V2_DeleteResponse {
        let result = try await ChildProgram.run(shim, flags(namespace, id) + ["-bundle", bundle, "delete"],
                                                cwd: bundle, environment: environment)
        guard result.status == .exited(0) else {
            throw CoreError(.unknown, "shim \(shim) delete for \(namespace)/\(id): \(result.status): \(result.stderrText)")
        }
        do { return try Containerd_Task_V2_DeleteResponse(serializedBytes: result.stdout) } catch {
            throw CoreError(.internal, "shim \(shim) delete printed no DeleteResponse: \(error)")
        }
    }
}
