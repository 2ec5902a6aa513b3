// CgroupManagerFactory: the one entry point berth-runtime and the shim use — OCI cgroupsPath +
// container id + host layout → the right CgroupManager.
import Errdefs

/// The cgroup manager for a container: `path` is OCI `linux.cgroupsPath` (nil or empty means
/// "/<containerID>"), `mode` the host layout (nil: detect from /proc/self/mountinfo), `root`
/// where the hierarchies are mounted. `ownCgroups` (default /proc/self/cgroup, read only for a
/// relative path) is what relative paths are resolved against.
///
/// Throws for a systemd-style path ("slice:prefix:name"): berth has only the cgroupfs driver.
public func makeCgroupManager(
    path: String?, containerID: String, mode: CgroupMode? = nil, root: String = "/sys/fs/cgroup",
    ownCgroups: ProcessCgroups? = nil
) throws(CoreError) -> any CgroupManager {
    let cgroupPath = try CgroupPath(path, containerID: containerID)
    let resolvedMode: CgroupMode
    if let mode {
        resolvedMode = mode
    } else {
        resolvedMode = try CgroupMode.detect(root: root)
    }
    switch resolvedMode {
    case .v1:
        return try CgroupV1Manager(path: cgroupPath, root: root, ownCgroups: ownCgroups)
    case .v2:
        return try CgroupV2Manager(path: cgroupPath, root: root, ownCgroups: ownCgroups)
    case .hybrid:
        return try HybridCgroupManager(path: cgroupPath, root: root, ownCgroups: ownCgroups)
    }
}
