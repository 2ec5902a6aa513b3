// RootfsMounts: Create's `rootfs` mounts (containerd.types.Mount) mounted in order onto
// `<bundle>/rootfs`, and unmounted again on Delete or by `berth-shim delete`. Options are split
// the usual way: "bind"/"rbind"/"ro"/"rw" become MS_* flags and everything else (overlay's
// lowerdir=…, upperdir=…, workdir=…) is passed as filesystem data. A read-only bind mount is
// remounted read-only after the bind, as the kernel ignores MS_RDONLY on the first call.
import Errdefs
import Glibc

public enum RootfsMounts {
    /// The directory the mounts go onto.
    public static func target(bundle: String) -> String { "\(bundle)/rootfs" }

    /// Mounts `specs`; on failure, unmounts whatever was mounted before throwing.
    public static func mount(_ specs: [MountSpec], bundle: String) throws(CoreError) {
        guard !specs.isEmpty else { return }
        let target = target(bundle: bundle)
        if Glibc.mkdir(target, 0o711) == -1 && errno != EEXIST {
            throw CoreError(SystemCallFailure(call: "mkdir", path: target, errno: errno))
        }
        for spec in specs {
            do {
                try mountOne(spec, at: target)
            } catch {
                unmountAll(target)
                throw error
            }
        }
    }

    private static func mountOne(_ spec: MountSpec, at target: String) throws(CoreError) {
        var flags: UInt = 0
        var data: [String] = []
        for option in spec.options {
            switch option {
            case "bind": flags |= UInt(MS_BIND)
            case "rbind": flags |= UInt(MS_BIND) | UInt(MS_REC)
            case "ro": flags |= UInt(MS_RDONLY)
            case "rw": flags &= ~UInt(MS_RDONLY)
            case "", "defaults": continue
            default: data.append(option)
            }
        }
        let isBind = flags & UInt(MS_BIND) != 0 || spec.type == "bind"
        if isBind { flags |= UInt(MS_BIND) }
        let joined = data.joined(separator: ",")
        let type: String? = isBind ? nil : spec.type
        guard callMount(spec.source, target, type, flags, joined) == 0 else {
            throw CoreError(SystemCallFailure(call: "mount(\(spec.type))", path: target, errno: errno),
                            context: "rootfs mount of \(spec.source)")
        }
        if isBind && flags & UInt(MS_RDONLY) != 0 {
            let remount = UInt(MS_BIND) | UInt(MS_REMOUNT) | UInt(MS_RDONLY)
            guard callMount("", target, nil, remount, "") == 0 else {
                let code = errno
                unmountAll(target)
                throw CoreError(SystemCallFailure(call: "mount(remount,ro)", path: target, errno: code))
            }
        }
    }

    private static func callMount(_ source: String, _ target: String, _ type: String?, _ flags: UInt, _ data: String) -> Int32 {
        source.withCString { cSource in
            target.withCString { cTarget in
                data.withCString { cData in
                    if let type {
                        return type.withCString { Glibc.mount(cSource, cTarget, $0, flags, data.isEmpty ? nil : cData) }
                    }
                    return Glibc.mount(cSource, cTarget, nil, flags, data.isEmpty ? nil : cData)
                }
            }
        }
    }

    /// Unmounts everything stacked on `target` (stops at EINVAL: not a mount point; ENOENT: gone).
    /// A busy mount is detached instead.
    public static func unmountAll(_ target: String) {
        for _ in 0..<64 {
            if umount2(target, 0) == 0 { continue }
            if errno == EBUSY, umount2(target, Int32(MNT_DETACH)) == 0 { continue }
            return
        }
    }
}
