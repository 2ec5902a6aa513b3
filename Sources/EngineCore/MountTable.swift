// MountTable: a container's volumes, binds and tmpfs mounts as OCI spec mounts, placed as docker
// places them — the runtime's defaults (/proc, /dev, /sys, …) first unless a user mount takes
// their destination, then the engine's /etc files and the user's mounts sorted parent before
// child (by path depth, stable), so a volume at /etc is mounted before /etc/hosts is bound on it.
// Volumes and binds are rbind mounts with their propagation (rprivate unless given) and ro;
// tmpfs mounts get docker's noexec,nosuid,nodev before the user's options. A shared or slave bind
// makes the root's propagation rshared or rslave, as docker does.
import API
import OCI

enum MountTable {
    /// The OCI mounts of the container's inspect.mounts (volumes, binds) and tmpfs mounts.
    static func userMounts(_ inspect: Engine_ContainerInspect) -> [Mount] {
        var mounts: [Mount] = []
        for point in inspect.mounts where point.type == "volume" || point.type == "bind" {
            var options = ["rbind", point.propagation.isEmpty ? "rprivate" : point.propagation]
            if !point.rw { options.append("ro") }
            mounts.append(Mount(destination: point.destination, type: "bind", source: point.source, options: options))
        }
        for mount in inspect.hostConfig.mounts where mount.type == "tmpfs" {
            guard let wanted = try? MountSpecs.parseMount(mount), case .tmpfs(let options) = wanted.kind else { continue }
            var all = ["noexec", "nosuid", "nodev"]
            for option in options where !all.contains(option) { all.append(option) }
            if mount.readOnly && !all.contains("ro") { all.append("ro") }
            mounts.append(Mount(destination: wanted.destination, type: "tmpfs", source: "tmpfs", options: all))
        }
        return mounts
    }

    /// `defaults` (the runtime's) first, then `container` (the engine's etc binds and the user's
    /// mounts; a user mount wins over an etc bind or default at the same destination) by depth.
    static func ordered(defaults: [Mount], etc: [Mount], user: [Mount]) -> [Mount] {
        let taken = Set(user.map(\.destination))
        let kept = defaults.filter { !taken.contains($0.destination) }
        let rest = etc.filter { !taken.contains($0.destination) } + user
        let sorted = rest.enumerated().sorted { left, right in
            let (a, b) = (depth(left.element.destination), depth(right.element.destination))
            return a != b ? a < b : left.offset < right.offset
        }.map(\.element)
        return kept + sorted
    }

    /// Docker's rootfs propagation for bind propagations that need it: a shared bind needs a
    /// shared root ("rshared"), a slave one at least a slave root ("rslave"); nil otherwise.
    static func rootfsPropagation(_ inspect: Engine_ContainerInspect) -> String? {
        let modes = Set(inspect.mounts.filter { $0.type == "bind" }.map(\.propagation))
        if modes.contains("shared") || modes.contains("rshared") { return "rshared" }
        if modes.contains("slave") || modes.contains("rslave") { return "rslave" }
        return nil
    }

    static func depth(_ path: String) -> Int {
        path.split(separator: "/").count
    }
}
