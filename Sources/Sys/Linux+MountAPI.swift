// Linux+MountAPI: the new mount API (fsopen/fsconfig/fsmount, Linux >= 5.2) for mounts that are
// never attached to any mount namespace — a "detached" mount lives only as long as a descriptor
// (or an exec'd binary) refers to it, so nothing is ever left mounted behind.
import CLinux
import Errdefs
import Glibc

extension Linux {
    /// Attributes of a detached mount (MOUNT_ATTR_* of <linux/mount.h>).
    public struct MountAttributes: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readOnly = MountAttributes(rawValue: 0x1)
        public static let noSetuid = MountAttributes(rawValue: 0x2)
        public static let noDevices = MountAttributes(rawValue: 0x4)
    }

    /// A detached mount of filesystem `type` with the string `options` set in order (fsopen,
    /// fsconfig SET_STRING…, CMD_CREATE, fsmount). The result is the mount's root, an O_PATH-like
    /// descriptor to use with openat(2). Errors name the step and the option.
    public static func detachedMount(type: String, options: [(key: String, value: String)],
                                     attributes: MountAttributes) throws(CoreError) -> FileDescriptor {
        let context = FileDescriptor(adopting: try checked("fsopen", path: type) { berth_fsopen(type, 1 /* FSOPEN_CLOEXEC */) })
        for option in options {
            _ = try checked("fsconfig(\(option.key))", path: option.value) {
                berth_fsconfig_set_string(context.rawValue, option.key, option.value)
            }
        }
        _ = try checked("fsconfig(CMD_CREATE)", path: type) { berth_fsconfig_create(context.rawValue) }
        return FileDescriptor(adopting: try checked("fsmount", path: type) {
            berth_fsmount(context.rawValue, 1 /* FSMOUNT_CLOEXEC */, attributes.rawValue)
        })
    }
}
