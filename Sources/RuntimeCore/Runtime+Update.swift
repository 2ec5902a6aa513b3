// Runtime.update and stats: change a running container's cgroup limits (runc update) and read its
// usage (runc events --stats), through the manager for its recorded cgroups.
import Cgroups
import Errdefs
import OCI

extension Runtime {
    /// Applies the given limits; fields left nil are not touched.
    public func update(id: String, resources: LinuxResources) throws(CoreError) {
        let record = try store.load(id)
        guard status(of: record) != .stopped else { throw CoreError(.failedPrecondition, "container \(id) is not running") }
        guard let manager = CgroupProcesses(record.cgroupPaths).manager else {
            throw CoreError(.failedPrecondition, "no cgroups recorded for container \(id)")
        }
        try manager.set(resources)
    }

    /// Current usage and limits of the container's cgroups.
    public func stats(id: String) throws(CoreError) -> CgroupStats {
        let record = try store.load(id)
        guard status(of: record) != .stopped else { throw CoreError(.failedPrecondition, "container \(id) is not running") }
        guard let manager = CgroupProcesses(record.cgroupPaths).manager else {
            throw CoreError(.failedPrecondition, "no cgroups recorded for container \(id)")
        }
        return try manager.stats()
    }
}
