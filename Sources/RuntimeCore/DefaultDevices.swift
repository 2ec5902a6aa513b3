// DefaultDevices: the device-cgroup rules every container gets after its spec's own, as runc
// adds them (libcontainer/specconv AllowedDevices): mknod of any node, the standard character
// devices, the pty multiplexer and its slaves, and each device the spec creates. Without them a
// spec that denies all devices (runc spec's default) could not even open /dev/null.
import OCI

enum DefaultDevices {
    static func rule(_ type: String, _ major: Int64?, _ minor: Int64?, _ access: String) -> LinuxDeviceCgroup {
        LinuxDeviceCgroup(allow: true, type: type, major: major, minor: minor, access: access)
    }

    static let rules: [LinuxDeviceCgroup] = [
        rule("c", nil, nil, "m"), rule("b", nil, nil, "m"),  // mknod anything; using it is another matter
        rule("c", 1, 3, "rwm"),   // /dev/null
        rule("c", 1, 5, "rwm"),   // /dev/zero
        rule("c", 1, 7, "rwm"),   // /dev/full
        rule("c", 1, 8, "rwm"),   // /dev/random
        rule("c", 1, 9, "rwm"),   // /dev/urandom
        rule("c", 5, 0, "rwm"),   // /dev/tty
        rule("c", 5, 1, "rwm"),   // /dev/console
        rule("c", 5, 2, "rwm"),   // /dev/ptmx
        rule("c", 136, nil, "rwm"),  // /dev/pts/*
    ]

    /// The spec's resources with the default rules and one rule per spec device appended.
    static func applied(to resources: LinuxResources?, devices: [LinuxDevice]?) -> LinuxResources {
        var out = resources ?? LinuxResources()
        var list = out.devices ?? []
        list += rules
        for device in devices ?? [] where device.type != "p" {
            list.append(rule(device.type == "u" ? "c" : device.type, device.major, device.minor, "rwm"))
        }
        out.devices = list
        return out
    }
}
