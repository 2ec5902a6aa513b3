// CgroupManager: what berth-runtime, the shim and the supervisor need from a container's cgroup,
// whatever the host's layout (v1, v2 or hybrid) — youki's CgroupManager split, runc's semantics.
import Errdefs
import OCI

/// A container's cgroup: created, joined, limited, frozen, listed, measured and removed.
///
/// Implementations are value types holding only paths, so they are cheap to rebuild from a
/// container's saved state and safe to share between threads; the kernel holds the state.
public protocol CgroupManager: Sendable {
    /// Controller → absolute directory of this cgroup. v1 keys are controller names ("memory",
    /// "cpu", …, "name=systemd"); the cgroup2 directory (v2, or hybrid's unified part) is "unified".
    var paths: [String: String] { get }

    /// Creates the cgroup directories (and their missing parents); existing ones are kept.
    func create() throws(CoreError)

    /// Moves process `pid` (all its threads) into the cgroup. Call `create()` first.
    func apply(pid: Int32) throws(CoreError)

    /// Writes the limits in `resources`; absent fields are left as they are.
    func set(_ resources: LinuxResources) throws(CoreError)

    /// Freezes every process in the cgroup and returns once they are frozen.
    func freeze() throws(CoreError)

    /// Lets frozen processes run again.
    func thaw() throws(CoreError)

    /// Every process in the cgroup and its sub-cgroups.
    func pids() throws(CoreError) -> [Int32]

    /// Removes the cgroup directories, sub-cgroups first. Kills nothing: a cgroup that still
    /// has processes stays (EBUSY is retried briefly, then reported). Succeeds when already gone.
    func destroy() throws(CoreError)

    /// Memory, pids and CPU usage; fields the host does not provide are nil.
    func stats() throws(CoreError) -> CgroupStats
}
