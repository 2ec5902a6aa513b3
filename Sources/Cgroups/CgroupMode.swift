// CgroupMode: which cgroup layout the host has — v1 (one hierarchy per controller), v2 (the
// unified hierarchy at the root) or hybrid (v1 controllers plus cgroup2 at <root>/unified, as
// systemd's "hybrid" mode and this project's machine kind have) — read from /proc/self/mountinfo.
import Errdefs
import Glibc

/// The cgroup layout of the host.
public enum CgroupMode: String, Sendable, Hashable, CustomStringConvertible {
    /// Legacy cgroup v1 only: a cgroupfs mount per controller (or group of controllers).
    case v1
    /// Unified cgroup v2 mounted at the root itself (`/sys/fs/cgroup`).
    case v2
    /// v1 hierarchies for the controllers plus a cgroup2 mount below the root (normally
    /// `/sys/fs/cgroup/unified`) that holds at most the controllers no v1 hierarchy took.
    case hybrid

    public var description: String { rawValue }

    /// Detects the mode of this process's mount namespace from /proc/self/mountinfo, looking at
    /// cgroup mounts at or below `root`.
    public static func detect(root: String = "/sys/fs/cgroup") throws(CoreError) -> CgroupMode {
        let text = try CgroupFS.read("/proc/self", "mountinfo")
        return try detect(mountinfo: text, root: root)
    }

    /// Detects the mode from the text of a mountinfo file (proc(5) format), for tests and for
    /// callers that read another process's mount table. Throws notFound when `root` holds no
    /// cgroup mount at all.
    public static func detect(mountinfo: String, root: String = "/sys/fs/cgroup") throws(CoreError) -> CgroupMode {
        let root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        var hasV1 = false
        var unifiedBelowRoot = false
        for mount in cgroupMounts(mountinfo: mountinfo) {
            guard mount.mountPoint == root || mount.mountPoint.hasPrefix(root + "/") else { continue }
            if mount.isV2 {
                // cgroup2 at the root itself is pure v2, whatever else is mounted further down.
                if mount.mountPoint == root { return .v2 }
                unifiedBelowRoot = true
            } else {
                hasV1 = true
            }
        }
        if hasV1 { return unifiedBelowRoot ? .hybrid : .v1 }
        throw CoreError(.notFound, "no cgroup filesystem is mounted at \(root)")
    }

    /// One cgroup or cgroup2 line of mountinfo.
    struct Mount: Equatable {
        /// Where it is mounted, with mountinfo's octal escapes (\040 for space) decoded.
        var mountPoint: String
        /// True for cgroup2, false for a v1 cgroupfs.
        var isV2: Bool
    }

    /// The cgroup and cgroup2 mounts listed in `mountinfo`, in order.
    /// Read as bytes, not Characters: every `runtime create` reads the host's mountinfo, which on a
    /// busy host holds a long overlay line per container, and splitting it by Character (grapheme
    /// breaking on every byte) took about a quarter of the runtime's user-space CPU under
    /// `scripts/bench/load.sh` (perf); as bytes, under a tenth.
    static func cgroupMounts(mountinfo: String) -> [Mount] {
        var mounts: [Mount] = []
        for line in mountinfo.utf8.split(separator: UInt8(ascii: "\n")) {
            // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
            let fields = line.split(separator: UInt8(ascii: " "))
            guard let dash = fields.firstIndex(where: { $0.elementsEqual("-".utf8) }), dash >= 6,
                  dash + 1 < fields.count else { continue }
            let isV1 = fields[dash + 1].elementsEqual("cgroup".utf8)
            guard isV1 || fields[dash + 1].elementsEqual("cgroup2".utf8) else { continue }
            mounts.append(Mount(mountPoint: unescape(Substring(fields[4])), isV2: !isV1))
        }
        return mounts
    }

    /// Decodes mountinfo's `\ooo` octal escapes (space, tab, newline and backslash).
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        let utf8 = Array(field.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 4 <= utf8.count,
                let value = UInt8(String(decoding: utf8[(index + 1)..<(index + 4)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
