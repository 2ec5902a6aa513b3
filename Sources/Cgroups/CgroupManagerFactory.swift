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

/// The manager for cgroups made earlier, from the directories its `paths` reported then (what
/// berth-runtime keeps in a container's state): no path resolution, so it finds the same
/// directories whoever calls it, from whatever cgroup.
public func makeCgroupManager(recordedPaths paths: [String: String], mode: CgroupMode? = nil,
                              root: String = "/sys/fs/cgroup") throws(CoreError) -> any CgroupManager {
    let resolvedMode: CgroupMode
    if let mode { resolvedMode = mode } else { resolvedMode = try CgroupMode.detect(root: root) }
    var v1Paths = paths
    let unified = v1Paths.removeValue(forKey: "unified")
    switch resolvedMode {
    case .v1:
        return CgroupV1Manager(paths: v1Paths, root: root)
    case .v2:
        guard let unified else { throw CoreError(.notFound, "no cgroup2 directory recorded") }
        return CgroupV2Manager(directory: unified, mountPoint: root)
    case .hybrid:
        let v1 = CgroupV1Manager(paths: v1Paths, root: root)
        guard let unified else { return v1 }
        return HybridCgroupManager(v1: v1, unified: CgroupV2Manager(directory: unified, mountPoint: root + "/unified"))
    }
}
