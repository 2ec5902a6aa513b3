// MountOptions: an OCI mount's `options` (fstab-style strings) split the way runc's
// parseMountOptions does (libcontainer/specconv/spec_linux.go): words the kernel knows as MS_* flags
// become `flags` (or `clearFlags` for their negations), propagation words become a list of
// propagation changes applied after the mount, and everything else is filesystem data passed to
// mount(2) verbatim ("mode=755,size=65536k").
//
// Two departures from runc, both toward clearer failures: "defaults" is dropped (runc hands it to
// the kernel as data, where tmpfs rejects it), and options berth cannot honour yet — id-mapped
// mounts ("idmap", "ridmap") and the mount_setattr(2) recursive attributes ("rro", "rnosuid", …) —
// are refused by name instead of reaching the kernel as data and failing with a bare EINVAL.
#if canImport(Glibc)
import Glibc
#endif

/// The parsed `options` of one OCI mount.
struct MountOptions: Equatable, Sendable {
    /// MS_* flags to set (MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, …).
    var flags: UInt = 0
    /// MS_* flags the options explicitly clear ("rw" clears MS_RDONLY, "suid" MS_NOSUID, …). A
    /// bind mount is remounted when any are present, so an inherited flag can be dropped.
    var clearFlags: UInt = 0
    /// Propagation changes, in the order given (MS_SHARED, MS_SLAVE|MS_REC, …); each is one
    /// mount("", dest, NULL, flag, NULL) after the mount itself.
    var propagation: [UInt] = []
    /// Filesystem-specific options, comma-joined, passed to mount(2) as data.
    var data: String = ""
    /// "tmpcopyup" was given: copy the directory's contents into a new tmpfs. Accepted and
    /// ignored for now (runc's doTmpfsCopyUp); the tmpfs starts empty.
    var tmpCopyUp = false

    /// True for "bind" and "rbind".
    var isBind: Bool { flags & UInt(MS_BIND) != 0 }
    /// True for "rbind" (MS_REC: submounts of the source come along).
    var isRecursive: Bool { flags & UInt(MS_REC) != 0 }
    /// True when the mount must end up read-only.
    var isReadOnly: Bool { flags & UInt(MS_RDONLY) != 0 }

    /// Flag words and the bit each sets (`clear == false`) or clears (`clear == true`), as in runc.
    static let flagTable: [String: (clear: Bool, flag: UInt)] = [
        "ro": (false, UInt(MS_RDONLY)), "rw": (true, UInt(MS_RDONLY)),
        "nosuid": (false, UInt(MS_NOSUID)), "suid": (true, UInt(MS_NOSUID)),
        "nodev": (false, UInt(MS_NODEV)), "dev": (true, UInt(MS_NODEV)),
        "noexec": (false, UInt(MS_NOEXEC)), "exec": (true, UInt(MS_NOEXEC)),
        "sync": (false, UInt(MS_SYNCHRONOUS)), "async": (true, UInt(MS_SYNCHRONOUS)),
        "dirsync": (false, UInt(MS_DIRSYNC)),
        "remount": (false, UInt(MS_REMOUNT)),
        "mand": (false, UInt(MS_MANDLOCK)), "nomand": (true, UInt(MS_MANDLOCK)),
        "noatime": (false, UInt(MS_NOATIME)), "atime": (true, UInt(MS_NOATIME)),
        "nodiratime": (false, UInt(MS_NODIRATIME)), "diratime": (true, UInt(MS_NODIRATIME)),
        "relatime": (false, UInt(MS_RELATIME)), "norelatime": (true, UInt(MS_RELATIME)),
        "strictatime": (false, UInt(MS_STRICTATIME)), "nostrictatime": (true, UInt(MS_STRICTATIME)),
        "lazytime": (false, UInt(MS_LAZYTIME)), "nolazytime": (true, UInt(MS_LAZYTIME)),
        "iversion": (false, UInt(MS_I_VERSION)), "noiversion": (true, UInt(MS_I_VERSION)),
        "silent": (false, UInt(MS_SILENT)), "loud": (true, UInt(MS_SILENT)),
        "nosymfollow": (false, UInt(MS_NOSYMFOLLOW)), "symfollow": (true, UInt(MS_NOSYMFOLLOW)),
        "bind": (false, UInt(MS_BIND)), "rbind": (false, UInt(MS_BIND | MS_REC)),
    ]

    /// Propagation words (also the values of `linux.rootfsPropagation`) and their MS_* flags.
    static let propagationTable: [String: UInt] = [
        "shared": UInt(MS_SHARED), "rshared": UInt(MS_SHARED | MS_REC),
        "slave": UInt(MS_SLAVE), "rslave": UInt(MS_SLAVE | MS_REC),
        "private": UInt(MS_PRIVATE), "rprivate": UInt(MS_PRIVATE | MS_REC),
        "unbindable": UInt(MS_UNBINDABLE), "runbindable": UInt(MS_UNBINDABLE | MS_REC),
    ]

    /// mount_setattr(2) recursive attributes runc supports and berth does not yet.
    static let recursiveAttributes: Set<String> = [
        "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnodiratime", "rdiratime",
        "rrelatime", "rnorelatime", "rnoatime", "ratime", "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow",
    ]

    /// An empty option list: no flags, no data.
    init() {}

    /// Parses `options`; `destination` only names the mount in errors.
    /// Later words win over earlier ones ("ro,rw" is read-write), as in runc and mount(8).
    init(parsing options: [String], destination: String = "") throws(ChildFailure) {
        var data: [String] = []
        for option in options {
            if let entry = Self.flagTable[option] {
                if entry.clear {
                    flags &= ~entry.flag
                    clearFlags |= entry.flag
                } else {
                    flags |= entry.flag
                    clearFlags &= ~entry.flag
                }
            } else if let flag = Self.propagationTable[option] {
                propagation.append(flag)
            } else if option == "tmpcopyup" {
                tmpCopyUp = true
            } else if option == "notmpcopyup" {
                tmpCopyUp = false
            } else if option == "defaults" || option.isEmpty {
                continue
            } else if option == "idmap" || option == "ridmap" {
                throw ChildFailure(stage: "mount", path: destination, errno: EINVAL,
                                   message: "mount option \"\(option)\" (id-mapped mounts) is not supported yet")
            } else if Self.recursiveAttributes.contains(option) {
                throw ChildFailure(stage: "mount", path: destination, errno: EINVAL,
                                   message: "mount option \"\(option)\" (recursive mount attributes) is not supported yet")
            } else {
                data.append(option)
            }
        }
        self.data = data.joined(separator: ",")
    }

    /// The flags for `linux.rootfsPropagation` ("rslave", "private", …), nil for an unknown word.
    static func propagationFlags(_ name: String) -> UInt? {
        propagationTable[name]
    }
}
