// CgroupPath: OCI `linux.cgroupsPath` for the cgroupfs driver, as runc interprets it — an
// absolute path is relative to each hierarchy's root, a relative one to the caller's own cgroup,
// and no path means "/<container id>". The systemd form "slice:prefix:name" is recognised only to
// be refused clearly, since berth has no systemd driver and the machine kind has no systemd.
import Errdefs
import Glibc

/// Where a container's cgroup goes, cleaned so that ".." cannot climb out of its base.
public enum CgroupPath: Sendable, Hashable, CustomStringConvertible {
    /// Below the root of every hierarchy: "/berth/abc" → /sys/fs/cgroup/memory/berth/abc.
    case absolute(String)
    /// Below the calling process's own cgroup in each hierarchy (from /proc/self/cgroup).
    case relative(String)

    /// Parses `cgroupsPath`; nil or empty means "/" + `containerID`. `systemdAvailable`
    /// defaults to whether /run/systemd/system exists (sd_booted's test).
    ///
    /// Throws invalidArgument for a path that names a hierarchy root (e.g. "/" or ".."), and for
    /// the systemd form: failedPrecondition ("systemd cgroup driver is not available: no systemd")
    /// without systemd, unimplemented with it.
    public init(_ cgroupsPath: String?, containerID: String, systemdAvailable: Bool? = nil) throws(CoreError) {
        let given = cgroupsPath ?? ""
        if given.isEmpty {
            guard !containerID.isEmpty else {
                throw CoreError.invalidArgument("cgroup path: no cgroupsPath and no container id")
            }
            self = .absolute(CgroupPath.clean("/" + containerID))
        } else if CgroupPath.isSystemdForm(given) {
            if systemdAvailable ?? CgroupPath.systemdIsRunning() {
                throw CoreError.unimplemented(
                    "cgroupsPath \"\(given)\" uses the systemd form (slice:prefix:name), but berth only has the cgroupfs driver")
            }
            throw CoreError.failedPrecondition(
                "systemd cgroup driver is not available: no systemd (cgroupsPath \"\(given)\" has the form slice:prefix:name)")
        } else if given.hasPrefix("/") {
            self = .absolute(CgroupPath.clean(given))
        } else {
            self = .relative(String(CgroupPath.clean("/" + given).dropFirst()))
        }
        guard inner != "/" && !inner.isEmpty else {
            throw CoreError.invalidArgument("cgroupsPath \"\(given)\" names the root of the hierarchy, not a container cgroup")
        }
    }

    /// The cleaned path as written: with a leading "/" when absolute, without when relative.
    public var inner: String {
        switch self {
        case .absolute(let path), .relative(let path): path
        }
    }

    public var description: String { inner }

    /// The directory for this cgroup in the hierarchy mounted at `mountPoint`, where the caller
    /// sits at `ownPath` (its path from /proc/self/cgroup; used only when relative).
    public func directory(mountPoint: String, ownPath: String) -> String {
        switch self {
        case .absolute(let path):
            return CgroupPath.clean(mountPoint + path)
        case .relative(let path):
            return CgroupPath.clean(mountPoint + "/" + ownPath + "/" + path)
        }
    }

    /// Whether `path` has the systemd driver's "slice:prefix:name" form (e.g.
    /// "system.slice:docker:abc", ":berth:abc"): three colon-separated parts, the first empty or a
    /// ".slice" unit, and no leading "/".
    public static func isSystemdForm(_ path: String) -> Bool {
        guard !path.hasPrefix("/") else { return false }
        let parts = path.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].isEmpty, !parts[0].contains("/") else { return false }
        return parts[0].isEmpty || parts[0].hasSuffix(".slice")
    }

    /// Whether systemd runs as init here (the test of sd_booted(3)).
    public static func systemdIsRunning() -> Bool {
        CgroupFS.isDirectory("/run/systemd/system")
    }

    /// Lexically cleans an absolute path: no empty or "." components, ".." removes the previous
    /// component and stops at "/" (as Go's filepath.Clean, which runc's CleanPath relies on).
    static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(component)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
