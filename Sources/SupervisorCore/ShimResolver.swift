// ShimResolver: which shim binary runs a container, from its runtime name — berth's own
// (`io.containerd.berth.v1`, the default) next to the supervisor, Debian's
// containerd-shim-runc-v2 for `io.containerd.runc.v2`, or any shim named by absolute path.
import Errdefs
import Foundation

public struct ShimResolver: Sendable {
    public static let berthRuntime = "io.containerd.berth.v1"
    public static let runcRuntime = "io.containerd.runc.v2"

    /// berth-shim's path.
    public let berthShim: String
    public let runcShim: String

    public init(berthShim: String, runcShim: String = "/usr/bin/containerd-shim-runc-v2") {
        self.berthShim = berthShim
        self.runcShim = runcShim
    }

    public func resolve(_ runtime: String) throws(CoreError) -> String {
        switch runtime {
        case "", Self.berthRuntime: return berthShim
        case Self.runcRuntime: return runcShim
        case let path where path.hasPrefix("/"):
            guard access(path, X_OK) == 0 else { throw CoreError(.notFound, "shim \(path) is not an executable file") }
            return path
        default:
            throw CoreError(.invalidArgument, "unknown runtime \(runtime): use \(Self.berthRuntime), \(Self.runcRuntime) or a shim's absolute path")
        }
    }
}
