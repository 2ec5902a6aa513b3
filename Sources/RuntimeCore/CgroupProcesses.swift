// CgroupProcesses: what `kill --all` and `delete` do with the cgroup directories recorded in a
// container's state: list its processes, thaw it, remove the directories (deepest first, retrying
// while the kernel still counts exiting tasks).
#if canImport(Glibc)
import Glibc
#endif
import Errdefs

enum CgroupProcesses {
    /// Every pid in any of the container's cgroups, without duplicates.
    static func list(_ paths: [String: String]) -> [Int32] {
        var seen = Set<Int32>()
        for dir in Set(paths.values) {
            for line in (ProcFS.read(dir + "/cgroup.procs") ?? "").split(separator: "\n") {
                if let pid = Int32(line) { seen.insert(pid) }
            }
        }
        return seen.sorted()
    }

    /// Freezes the container and waits (up to 5 s) until the kernel reports it frozen.
    static func freeze(_ paths: [String: String]) throws(CoreError) {
        if let freezer = paths["freezer"] {
            write(freezer + "/freezer.state", "FROZEN")
            for _ in 0..<500 {
                if ProcFS.read(freezer + "/freezer.state")?.hasPrefix("FROZEN") == true { return }
                usleep(10_000)
            }
            write(freezer + "/freezer.state", "THAWED")
            throw CoreError(.deadlineExceeded, "cannot freeze: \(freezer) did not reach FROZEN in 5 s")
        }
        if let unified = paths["unified"], access(unified + "/cgroup.freeze", F_OK) == 0 {
            write(unified + "/cgroup.freeze", "1")
            for _ in 0..<500 {
                if ProcFS.read(unified + "/cgroup.events")?.contains("frozen 1") == true { return }
                usleep(10_000)
            }
            write(unified + "/cgroup.freeze", "0")
            throw CoreError(.deadlineExceeded, "cannot freeze: \(unified) did not report frozen in 5 s")
        }
        throw CoreError(.failedPrecondition, "no freezer cgroup for this container")
    }

    /// Thaws a frozen container so that signals reach it.
    static func thaw(_ paths: [String: String]) {
        if let freezer = paths["freezer"] { write(freezer + "/freezer.state", "THAWED") }
        if let unified = paths["unified"], access(unified + "/cgroup.freeze", F_OK) == 0 { write(unified + "/cgroup.freeze", "0") }
    }

    /// Removes the directories; a directory already gone is fine.
    static func destroy(_ paths: [String: String]) {
        for dir in Set(paths.values).sorted(by: { $0.count > $1.count }) {
            for _ in 0..<200 {
                if rmdir(dir) == 0 || errno == ENOENT { break }
                if errno != EBUSY { break }
                usleep(5_000)
            }
        }
    }

    private static func write(_ path: String, _ value: String) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = value.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }
}
