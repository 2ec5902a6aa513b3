// CgroupV1Manager: a container cgroup on cgroup v1 — one directory per controller hierarchy
// (/sys/fs/cgroup/<controller>/<path>), as runc's fs manager (opencontainers/cgroups fs/fs.go).
// Limits are written in CgroupV1Manager+Resources.swift.
import Errdefs
import Glibc
import OCI

/// A cgroup in every mounted v1 hierarchy below `root`.
///
/// The hierarchies are found as directories `root/<controller>` (following symlinks, so a
/// co-mounted `cpu,cpuacct` reached through `cpu` and `cpuacct` links works); `name=systemd`
/// lives in `root/systemd`. Controllers that are not mounted are skipped, and setting a limit for
/// one of them fails.
public struct CgroupV1Manager: CgroupManager {
    /// The v1 hierarchies berth joins, as (key in `paths`, directory name below the root), in
    /// the order runc applies them (cpuset first: its cpus and mems must be set before a task
    /// can join).
    public static let hierarchies: [(key: String, directory: String)] = [
        ("cpuset", "cpuset"), ("devices", "devices"), ("memory", "memory"), ("cpu", "cpu"),
        ("cpuacct", "cpuacct"), ("pids", "pids"), ("blkio", "blkio"), ("hugetlb", "hugetlb"),
        ("net_cls", "net_cls"), ("net_prio", "net_prio"), ("perf_event", "perf_event"),
        ("freezer", "freezer"), ("rdma", "rdma"), ("misc", "misc"), ("name=systemd", "systemd"),
    ]

    /// The directory holding the hierarchies (default /sys/fs/cgroup).
    public let root: String
    /// Controller → this cgroup's directory in that hierarchy.
    public let paths: [String: String]

    /// The cgroup at `path` in every v1 hierarchy mounted below `root`. A relative path is
    /// resolved against `ownCgroups` (default: this process's /proc/self/cgroup).
    public init(path: CgroupPath, root: String = "/sys/fs/cgroup", ownCgroups: ProcessCgroups? = nil) throws(CoreError) {
        var own = ownCgroups
        if own == nil, case .relative = path {
            own = try ProcessCgroups.current()
        }
        var paths: [String: String] = [:]
        for (key, directory) in Self.hierarchies {
            let mountPoint = CgroupFS.join(root, directory)
            guard CgroupFS.isDirectory(mountPoint) else { continue }
            paths[key] = path.directory(mountPoint: mountPoint, ownPath: own?.path(for: key) ?? "/")
        }
        guard !paths.isEmpty else {
            throw CoreError.failedPrecondition("no cgroup v1 hierarchy is mounted below \(root)")
        }
        self.init(paths: paths, root: root)
    }

    /// A manager for directories known already (e.g. saved in the container's state).
    public init(paths: [String: String], root: String = "/sys/fs/cgroup") {
        self.root = root
        self.paths = paths
    }

    /// Keys of `paths` in application order.
    var orderedKeys: [String] {
        Self.hierarchies.map(\.key).filter { paths[$0] != nil }
    }

    /// The mount point of the hierarchy for `key`.
    func mountPoint(_ key: String) -> String {
        CgroupFS.join(root, Self.hierarchies.first { $0.key == key }?.directory ?? key)
    }

    /// This cgroup's directory for `controller`, or failedPrecondition naming what could not be set.
    func directory(_ controller: String, for what: String) throws(CoreError) -> String {
        guard let dir = paths[controller] else {
            throw CoreError.failedPrecondition("cannot set \(what): the \(controller) cgroup controller is not mounted below \(root)")
        }
        return dir
    }

    /// Creates the directory in every hierarchy, initialising cpuset levels from their parents.
    public func create() throws(CoreError) {
        for key in orderedKeys {
            guard let dir = paths[key] else { continue }
            let top = mountPoint(key)
            for level in CgroupFS.chain(from: top, to: dir) {
                try CgroupFS.makeDirectory(level)
                if key == "cpuset" {
                    try copyCpusetIfEmpty(level)
                }
            }
        }
    }

    /// A new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and no task can join
    /// it until both are set: copy them from the parent, as runc's cpusetCopyIfNeeded does.
    /// Files missing altogether (a fixture, not cgroupfs) are left alone.
    private func copyCpusetIfEmpty(_ dir: String) throws(CoreError) {
        let parent = String(dir[..<(dir.lastIndex(of: "/") ?? dir.endIndex)])
        for file in ["cpuset.cpus", "cpuset.mems"] {
            guard let current = try CgroupFS.readTrimmed(dir, file), current.isEmpty else { continue }
            guard let inherited = try CgroupFS.readTrimmed(parent, file), !inherited.isEmpty else { continue }
            try CgroupFS.write(dir, file, inherited)
        }
    }

    /// Writes `pid` to cgroup.procs in every hierarchy, cpuset first.
    public func apply(pid: Int32) throws(CoreError) {
        for key in orderedKeys {
            guard let dir = paths[key] else { continue }
            try CgroupFS.addProcess(pid, to: dir)
        }
    }

    /// Freezes through freezer.state and waits until it reads FROZEN.
    public func freeze() throws(CoreError) {
        let dir = try directory("freezer", for: "freezer state")
        // Writing FROZEN starts freezing; the state reads FREEZING until every task has stopped.
        // Tasks forking meanwhile can stall it, so the write is repeated now and then (runc's
        // freezer.go); after about two seconds give up and thaw rather than leave it half-frozen.
        var delay: UInt32 = 100
        for attempt in 0..<200 {
            if attempt % 25 == 0 {
                try CgroupFS.write(dir, "freezer.state", "FROZEN")
            }
            if try CgroupFS.readTrimmed(dir, "freezer.state") == "FROZEN" { return }
            usleep(delay)
            delay = min(delay * 2, 10_000)
        }
        try? CgroupFS.write(dir, "freezer.state", "THAWED")
        throw CoreError.unavailable("unable to freeze cgroup \(dir): still FREEZING after 2 seconds")
    }

    /// Writes THAWED to freezer.state.
    public func thaw() throws(CoreError) {
        let dir = try directory("freezer", for: "freezer state")
        try CgroupFS.write(dir, "freezer.state", "THAWED")
    }

    /// The processes in the cgroup and its sub-cgroups, read from one hierarchy.
    public func pids() throws(CoreError) -> [Int32] {
        // Every hierarchy holds the same tasks; use one that every v1 host mounts.
        let preferred = ["pids", "devices", "freezer", "memory", "cpu", "name=systemd"]
        guard let key = preferred.first(where: { paths[$0] != nil }) ?? orderedKeys.first, let dir = paths[key] else {
            return []
        }
        return try CgroupFS.processes(inTree: dir)
    }

    /// Removes the directory in every hierarchy (sub-cgroups first), killing nothing.
    public func destroy() throws(CoreError) {
        // Go on past failures and throw the first. Once one directory stayed busy after waiting,
        // the others are not waited for: the same tasks hold them all.
        var firstError: CoreError?
        for key in orderedKeys {
            guard let dir = paths[key] else { continue }
            do {
                try CgroupFS.removeTree(dir, waitForBusy: firstError == nil)
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
    }

    /// memory.usage_in_bytes / limit_in_bytes, pids.current / pids.max and cpuacct.usage.
    public func stats() throws(CoreError) -> CgroupStats {
        var stats = CgroupStats()
        if let memory = paths["memory"] {
            stats.memoryUsage = try CgroupFS.readUInt64(memory, "memory.usage_in_bytes")
            // v1 reports "unlimited" as PAGE_COUNTER_MAX pages: anything near 2^63.
            stats.memoryLimit = try CgroupFS.readUInt64(memory, "memory.limit_in_bytes").flatMap { $0 >= 1 << 62 ? nil : $0 }
        }
        if let pids = paths["pids"] {
            stats.pidsCurrent = try CgroupFS.readUInt64(pids, "pids.current")
            stats.pidsLimit = try CgroupFS.readUInt64(pids, "pids.max")
        }
        if let cpuacct = paths["cpuacct"] {
            stats.cpuUsageNanoseconds = try CgroupFS.readUInt64(cpuacct, "cpuacct.usage")
        }
        return stats
    }
}
