// FaultPoint: the supervisor's test-only crash points (Sys.FaultInjection does the killing when
// $BERTH_FAULT names one) and pause points ($BERTH_FAULT_PAUSE=POINT:MS, or POINT:/GATE while
// that file exists, holds a race window open for a test).
import Sys

enum FaultPoint: String {
    case createBeforeShim = "task-create-before-shim"
    case createAfterShimStart = "task-create-after-shim-start"
    case createAfterCreate = "task-create-after-create"
    case deleteAfterShimDelete = "task-delete-after-shim-delete"
    case execAfterShimExec = "task-exec-after-shim-exec"
    case execAfterShimStart = "task-exec-after-shim-start"
    case startAfterShimStart = "task-start-after-shim-start"
    case discardBeforeRemove = "task-discard-before-remove"
    case shimLostBeforeDelete = "task-shim-lost-before-delete"

    func hit() { FaultInjection.hit(rawValue) }
    func pause() async { await FaultInjection.pause(rawValue) }
}
