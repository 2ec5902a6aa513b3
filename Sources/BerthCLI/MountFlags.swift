// MountFlags: docker's storage flags of `run`/`create` into the Create request — `-v` (a bare
// path is an anonymous volume in Config.volumes, anything else a HostConfig bind string),
// `--mount` (docker's CSV: type, source/src, target/destination/dst, readonly/ro, volume-nocopy,
// volume-label, bind-propagation, tmpfs-size, tmpfs-mode), `--tmpfs PATH[:OPTIONS]` (a tmpfs
// Mount) and `--volumes-from`. The engine checks the rest (MountSpecs).
import API

enum MountFlags {
    static func apply(volumes: [String], mounts: [String], tmpfs: [String], volumesFrom: [String],
                      config: inout Engine_ContainerConfig, host: inout Engine_HostConfig) throws {
        for volume in volumes {
            if volume.contains(":") { host.binds.append(volume) } else { config.volumes.append(volume) }
        }
        host.mounts = try mounts.map(mount)
        host.mounts += try tmpfs.map(self.tmpfs)
        host.volumesFrom = volumesFrom
    }

    static func mount(_ text: String) throws -> Engine_Mount {
        var mount = Engine_Mount()
        mount.type = "volume"
        func invalid(_ why: String) -> CLIError { CLIError(message: "berth: invalid argument \"\(text)\" for \"--mount\" flag: \(why)", code: 125) }
        func flag(_ value: String?, _ key: String) throws -> Bool {
            switch value {
            case nil, "1", "true": return true
            case "0", "false": return false
            default: throw invalid("invalid value for \(key): \(value ?? "")")
            }
        }
        for field in text.split(separator: ",").map(String.init) {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            let key = parts[0].lowercased()
            let value = parts.count > 1 ? parts[1] : nil
            switch key {
            case "readonly", "ro":
                mount.readOnly = try flag(value, key)
                continue
            case "volume-nocopy":
                mount.volumeNocopy = try flag(value, key)
                continue
            default: break
            }
            guard let value else { throw invalid("invalid field '\(field)' must be a key=value pair") }
            switch key {
            case "type": mount.type = value
            case "source", "src": mount.source = value
            case "target", "destination", "dst": mount.target = value
            case "bind-propagation": mount.bindPropagation = value
            case "volume-label":
                let label = value.split(separator: "=", maxSplits: 1).map(String.init)
                mount.volumeLabels[label[0]] = label.count > 1 ? label[1] : ""
            case "volume-driver":
                guard value == "local" else { throw invalid("volume driver \(value) is not supported (local only)") }
            case "tmpfs-size": mount.tmpfsSize = try ContainerFlags.bytes(value)
            case "tmpfs-mode":
                guard let mode = UInt32(value, radix: 8) else { throw invalid("invalid value for tmpfs-mode: \(value)") }
                mount.tmpfsMode = mode
            case "consistency", "bind-nonrecursive": break
            default: throw invalid("unexpected key '\(key)' in '\(field)'")
            }
        }
        return mount
    }

    /// `--tmpfs /path[:opt,opt]`.
    static func tmpfs(_ text: String) throws -> Engine_Mount {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        var mount = Engine_Mount()
        mount.type = "tmpfs"
        mount.target = parts.first ?? ""
        mount.tmpfsOptions = parts.count > 1 ? parts[1] : ""
        return mount
    }
}
