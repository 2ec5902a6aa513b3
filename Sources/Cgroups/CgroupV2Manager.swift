// CgroupV2Manager: a container cgroup on the unified hierarchy — one directory, controllers
// enabled from the top through cgroup.subtree_control, freezing through cgroup.freeze (runc's
// fs2 manager, opencontainers/cgroups fs2/fs2.go and create.go). Limits are written in
// CgroupV2Manager+Resources.swift.
import Errdefs
import Glibc
import OCI

/// A cgroup in a cgroup2 hierarchy.
public struct CgroupV2Manager: CgroupManager {
    /// Where the cgroup2 hierarchy is mounted (/sys/fs/cgroup; /sys/fs/cgroup/unified on hybrid).
    public let mountPoint: String
    /// This cgroup's directory.
    public let directory: String

    /// The cgroup at `path` on a host whose unified hierarchy is mounted at `root`. A relative
    /// path is resolved, like runc does, against the *parent* of the caller's own cgroup (from
    /// `ownCgroups`, default /proc/self/cgroup): the caller's cgroup has processes, so by the
    /// no-internal-processes rule it could not enable controllers for a child.
    public init(path: CgroupPath, root: String = "/sys/fs/cgroup", ownCgroups: ProcessCgroups? = nil) throws(CoreError) {
        var ownPath = "/"
        if case .relative = path {
            var own = ownCgroups
            if own == nil { own = try ProcessCgroups.current() }
            let mine = CgroupPath.clean(own?.path(for: "") ?? "/")
            ownPath = String(mine[..<(mine.lastIndex(of: "/") ?? mine.startIndex)])
        }
        self.init(directory: path.directory(mountPoint: root, ownPath: ownPath), mountPoint: root)
    }

    /// A manager for a directory known already, in the hierarchy mounted at `mountPoint`.
    public init(directory: String, mountPoint: String) {
        self.directory = directory
        self.mountPoint = mountPoint
    }

    /// `["unified": directory]`.
    public var paths: [String: String] { ["unified": directory] }

    /// Creates the directories and enables every controller the hierarchy offers in each
    /// ancestor's cgroup.subtree_control (runc's CreateCgroupPath), so that the leaf gets them.
    public func create() throws(CoreError) {
        let available = try controllers(at: mountPoint)
        try createDirectories()
        try enableControllers(available)
    }

    /// Only the directories, enabling nothing (hybrid mode's join of the unified hierarchy).
    func createDirectories() throws(CoreError) {
        for level in CgroupFS.chain(from: mountPoint, to: directory) {
            try CgroupFS.makeDirectory(level)
        }
    }

    /// The controllers listed in `dir`/cgroup.controllers.
    func controllers(at dir: String) throws(CoreError) -> [String] {
        (try CgroupFS.readTrimmed(dir, "cgroup.controllers") ?? "").split(separator: " ").map(String.init)
    }

    /// Writes "+c1 +c2 …" to cgroup.subtree_control from the mount point down to this cgroup's
    /// parent, skipping levels where they are all on already. If the combined write fails (one
    /// controller refused, e.g. not delegated), each is tried alone and refusals are ignored; a
    /// limit for a controller that stayed off fails later, when its file is missing.
    func enableControllers(_ wanted: [String]) throws(CoreError) {
        guard !wanted.isEmpty else { return }
        let levels = [mountPoint] + CgroupFS.chain(from: mountPoint, to: directory).dropLast()
        for level in levels {
            let enabled = Set((try CgroupFS.readTrimmed(level, "cgroup.subtree_control") ?? "").split(separator: " ").map(String.init))
            let missing = wanted.filter { !enabled.contains($0) }
            guard !missing.isEmpty else { continue }
            do {
                try CgroupFS.appendLine(level, "cgroup.subtree_control", missing.map { "+" + $0 }.joined(separator: " "))
            } catch {
                for controller in missing {
                    try? CgroupFS.appendLine(level, "cgroup.subtree_control", "+" + controller)
                }
            }
        }
    }

    /// Writes `pid` to cgroup.procs.
    public func apply(pid: Int32) throws(CoreError) {
        try CgroupFS.addProcess(pid, to: directory)
    }

    /// Writes 1 to cgroup.freeze and waits for "frozen 1" in cgroup.events.
    public func freeze() throws(CoreError) {
        try CgroupFS.write(directory, "cgroup.freeze", "1")
        // The write only starts freezing; cgroup.events says "frozen 1" once every task stopped.
        // Without cgroup.events (not a real cgroup2 directory) the write is all there is.
        var delay: UInt32 = 100
        for _ in 0..<200 {
            guard let events = try CgroupFS.readTrimmed(directory, "cgroup.events") else { return }
            if events.split(separator: "\n").contains(where: { $0 == "frozen 1" }) { return }
            usleep(delay)
            delay = min(delay * 2, 10_000)
        }
        try? CgroupFS.write(directory, "cgroup.freeze", "0")
        throw CoreError.unavailable("unable to freeze cgroup \(directory): not frozen after 2 seconds")
    }

    /// Writes 0 to cgroup.freeze.
    public func thaw() throws(CoreError) {
        try CgroupFS.write(directory, "cgroup.freeze", "0")
    }

    /// The processes in the cgroup and its sub-cgroups.
    public func pids() throws(CoreError) -> [Int32] {
        try CgroupFS.processes(inTree: directory)
    }

    /// Removes the directory (rmdir, sub-cgroups first). cgroup.kill is deliberately not used:
    /// destroying a cgroup must never kill what is still in it.
    public func destroy() throws(CoreError) {
        try CgroupFS.removeTree(directory)
    }

    /// memory.current / memory.max, pids.current / pids.max and usage_usec from cpu.stat.
    public func stats() throws(CoreError) -> CgroupStats {
        var stats = CgroupStats()
        stats.memoryUsage = try CgroupFS.readUInt64(directory, "memory.current")
        stats.memoryLimit = try CgroupFS.readUInt64(directory, "memory.max")
        stats.pidsCurrent = try CgroupFS.readUInt64(directory, "pids.current")
        stats.pidsLimit = try CgroupFS.readUInt64(directory, "pids.max")
        if let cpuStat = try CgroupFS.readTrimmed(directory, "cpu.stat") {
            for line in cpuStat.split(separator: "\n") where line.hasPrefix("usage_usec ") {
                stats.cpuUsageNanoseconds = UInt64(line.dropFirst("usage_usec ".count)).map { $0 * 1000 }
            }
        }
        return stats
    }
}
