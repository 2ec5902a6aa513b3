// FaultPoint: test-only crash injection. When $BERTH_FAULT names a point, the supervisor kills
// itself with SIGKILL there — the way a crash or `kill -9` would stop it — so tests can show that
// a restart finds a consistent state whatever step was interrupted. Unset, it costs a lookup.
import Foundation

enum FaultPoint: String {
    case createBeforeShim = "task-create-before-shim"
    case createAfterShimStart = "task-create-after-shim-start"
    case createAfterCreate = "task-create-after-create"
    case deleteAfterShimDelete = "task-delete-after-shim-delete"

    private static let armed = ProcessInfo.processInfo.environment["BERTH_FAULT"]

    func hit() {
        if Self.armed == rawValue { kill(getpid(), SIGKILL) }
    }
}
