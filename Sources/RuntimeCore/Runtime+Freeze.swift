// Runtime.pause, resume and processes: the freezer (v1 freezer.state, v2 cgroup.freeze) and the
// pids in the container's cgroups, as `runc pause|resume|ps` use them.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs

extension Runtime {
    public func pause(id: String) throws(CoreError) {
        let record = try store.load(id)
        switch status(of: record) {
        case .running, .created: break
        case .paused: throw CoreError(.failedPrecondition, "container \(id) is already paused")
        default: throw CoreError(.failedPrecondition, "container not running")
        }
        try CgroupProcesses(record.cgroupPaths).freeze()
    }

    public func resume(id: String) throws(CoreError) {
        let record = try store.load(id)
        guard status(of: record) == .paused else { throw CoreError(.failedPrecondition, "container not paused") }
        CgroupProcesses(record.cgroupPaths).thaw()
    }

    /// Every pid in the container's cgroups (the init first).
    public func processes(id: String) throws(CoreError) -> [Int32] {
        let record = try store.load(id)
        guard status(of: record) != .stopped else { return [] }
        let pids = CgroupProcesses(record.cgroupPaths, initPID: record.pid).list()
        return pids.contains(record.pid) ? [record.pid] + pids.filter { $0 != record.pid } : pids
    }
}
