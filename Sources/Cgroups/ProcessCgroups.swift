// ProcessCgroups: a process's membership from /proc/<pid>/cgroup ("id:controllers:path" lines),
// which relative cgroupsPaths are resolved against.
import Errdefs
import Glibc

/// The cgroups a process belongs to, per v1 controller and in the unified (v2) hierarchy.
public struct ProcessCgroups: Sendable, Hashable {
    /// v1 controller ("memory", "cpu", "name=systemd", …) → path inside that hierarchy. A line
    /// for co-mounted controllers ("cpu,cpuacct") gives one entry per controller.
    public var v1: [String: String]
    /// The path in the cgroup2 hierarchy (the "0::" line), if there is one.
    public var unified: String?

    /// Parses the text of a /proc/<pid>/cgroup file.
    public init(parsing text: String) {
        v1 = [:]
        unified = nil
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {
                unified = path
                continue
            }
            for controller in fields[1].split(separator: ",") {
                v1[String(controller)] = path
            }
        }
    }

    /// The calling process's cgroups (/proc/self/cgroup).
    public static func current() throws(CoreError) -> ProcessCgroups {
        ProcessCgroups(parsing: try CgroupFS.read("/proc/self", "cgroup"))
    }

    /// The path for `controller`; "" selects the unified hierarchy. "/" when unknown, so that a
    /// relative cgroupsPath falls back to the hierarchy root.
    public func path(for controller: String) -> String {
        (controller.isEmpty ? unified : v1[controller]) ?? "/"
    }
}
