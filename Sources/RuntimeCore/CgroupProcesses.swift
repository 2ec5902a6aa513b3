// CgroupProcesses: the container's cgroups, as recorded in its state, through the Cgroups
// module's manager for those exact directories: list its processes, freeze and thaw it, remove
// its directories. Used by kill --all, delete, pause, resume, ps and exec.
import Cgroups
import Errdefs

struct CgroupProcesses {
    let manager: (any CgroupManager)?
    /// For a container without cgroups (rootless): its init, whose process tree stands in for them.
    let initPID: Int32?

    init(_ paths: [String: String], initPID: Int32? = nil) {
        manager = paths.isEmpty ? nil : try? makeCgroupManager(recordedPaths: paths)
        self.initPID = initPID
    }

    /// Every pid in any of the container's cgroups, sorted; empty if they are gone. Without
    /// cgroups, the init and its descendants.
    func list() -> [Int32] {
        if manager == nil, let initPID, initPID > 0 {
            return ([initPID] + ProcFS.descendants(of: initPID)).sorted()
        }
        return (try? manager?.pids()).flatMap { $0 }.map { Array(Set($0)).sorted() } ?? []
    }

    func freeze() throws(CoreError) {
        guard let manager else { throw CoreError(.failedPrecondition, "no cgroups recorded for this container") }
        try manager.freeze()
    }

    /// Thaws a frozen container so that signals reach it (nothing to do if it is not frozen).
    func thaw() { try? manager?.thaw() }

    func apply(pid: Int32) throws(CoreError) { try manager?.apply(pid: pid) }

    /// Removes the directories; a directory already gone is fine.
    func destroy() { try? manager?.destroy() }
}
