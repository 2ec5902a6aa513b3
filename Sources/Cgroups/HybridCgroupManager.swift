// HybridCgroupManager: cgroup v1 controllers plus a cgroup2 mount at <root>/unified, the layout
// of systemd's hybrid mode and of this project's machine kind. Like runc on such hosts, the
// container also joins the same path in the unified hierarchy; controllers bound to cgroup2
// there (hugetlb on the machine kind) get their limits through it.
import Errdefs
import OCI

/// A cgroup on a hybrid host: a `CgroupV1Manager` for the v1 hierarchies and a
/// `CgroupV2Manager` for the same path below `<root>/unified`.
public struct HybridCgroupManager: CgroupManager {
    /// The v1 hierarchies' part.
    public let v1: CgroupV1Manager
    /// The unified hierarchy's part.
    public let unified: CgroupV2Manager

    /// The cgroup at `path` in every v1 hierarchy below `root` and in `root/unified`. A relative
    /// path is resolved against the caller's own cgroup in each hierarchy (`ownCgroups`, default
    /// /proc/self/cgroup) — in the unified one too, as runc's hybrid join does.
    public init(path: CgroupPath, root: String = "/sys/fs/cgroup", ownCgroups: ProcessCgroups? = nil) throws(CoreError) {
        var own = ownCgroups
        if own == nil, case .relative = path {
            own = try ProcessCgroups.current()
        }
        let mountPoint = CgroupFS.join(root, "unified")
        v1 = try CgroupV1Manager(path: path, root: root, ownCgroups: own)
        unified = CgroupV2Manager(directory: path.directory(mountPoint: mountPoint, ownPath: own?.path(for: "") ?? "/"), mountPoint: mountPoint)
    }

    /// Combines parts made elsewhere (e.g. restored from saved paths).
    public init(v1: CgroupV1Manager, unified: CgroupV2Manager) {
        self.v1 = v1
        self.unified = unified
    }

    /// The v1 directories plus "unified".
    public var paths: [String: String] {
        v1.paths.merging(unified.paths) { first, _ in first }
    }

    /// Creates the v1 directories and the unified one. No controller is enabled in the unified
    /// hierarchy until a limit needs one (see `set`), so creating leaves the host's
    /// cgroup.subtree_control files as they were.
    public func create() throws(CoreError) {
        try v1.create()
        try unified.createDirectories()
    }

    /// Moves `pid` into every v1 hierarchy and the unified one.
    public func apply(pid: Int32) throws(CoreError) {
        try v1.apply(pid: pid)
        try unified.apply(pid: pid)
    }

    /// Hugepage limits go to the unified hierarchy when hugetlb is a cgroup2 controller there
    /// (enabling it down the path first), else to v1; the `unified` map is written to the unified
    /// directory verbatim; everything else is v1's.
    public func set(_ resources: LinuxResources) throws(CoreError) {
        var rest = resources
        rest.unified = nil
        if let limits = resources.hugepageLimits, !limits.isEmpty,
            try unified.controllers(at: unified.mountPoint).contains("hugetlb")
        {
            rest.hugepageLimits = nil
            try v1.set(rest)
            try unified.enableControllers(["hugetlb"])
            try unified.setHugetlb(limits)
        } else {
            try v1.set(rest)
        }
        if let map = resources.unified, !map.isEmpty {
            try unified.setUnified(map)
        }
    }

    /// Freezes through the v1 freezer, the controller that owns freezing on a hybrid host.
    public func freeze() throws(CoreError) {
        try v1.freeze()
    }

    /// Thaws through the v1 freezer.
    public func thaw() throws(CoreError) {
        try v1.thaw()
    }

    /// The processes, read from a v1 hierarchy.
    public func pids() throws(CoreError) -> [Int32] {
        try v1.pids()
    }

    /// Removes both parts; the second is attempted even when the first fails.
    public func destroy() throws(CoreError) {
        var firstError: CoreError?
        do { try v1.destroy() } catch { firstError = error }
        do {
            try CgroupFS.removeTree(unified.directory, waitForBusy: firstError == nil)
        } catch {
            firstError = firstError ?? error
        }
        if let firstError { throw firstError }
    }

    /// The v1 figures (memory, pids and cpuacct are v1 controllers on a hybrid host).
    public func stats() throws(CoreError) -> CgroupStats {
        try v1.stats()
    }
}
