// RootfsSetup+Devices: the container's /dev — the OCI default device nodes plus linux.devices,
// the /dev/fd and /dev/std* links, and /dev/ptmx (runc's createDevices, setupDevSymlinks and
// setupPtmx). Done after the spec mounts, so the nodes land in the /dev tmpfs the config mounts.
#if canImport(Glibc)
import Glibc
#endif
import OCI

extension RootfsSetup {
    /// The devices every Linux container has (runtime-spec config-linux.md, "Default Devices").
    static let defaultDevices: [LinuxDevice] = [
        LinuxDevice(path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0),
        LinuxDevice(path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0),
        LinuxDevice(path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0),
        LinuxDevice(path: "/dev/random", type: "c", major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0),
        LinuxDevice(path: "/dev/urandom", type: "c", major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0),
        LinuxDevice(path: "/dev/tty", type: "c", major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0),
    ]

    /// False when the config bind-mounts something at /dev: that /dev is the user's (often the
    /// host's own), and creating nodes or links in it would change the host.
    var needsDevSetup: Bool {
        !mounts.contains { entry in
            let options = (try? MountOptions(parsing: entry.options ?? [])) ?? MountOptions()
            return isBind(entry, options) && Self.cleanPath(entry.destination) == "/dev"
        }
    }

    /// Nodes, links and ptmx in the rootfs's /dev.
    func setupDev() throws(ChildFailure) {
        // A user namespace may not mknod (EPERM): bind the host's node instead, straight away.
        let inUserNamespace = spec.linux?.namespaces?.contains { $0.type == .user } ?? false
        let configured = spec.linux?.devices ?? []
        let defaults = Self.defaultDevices.filter { node in !configured.contains { Self.cleanPath($0.path) == node.path } }
        for node in configured + defaults where Self.cleanPath(node.path) != "/dev/ptmx" {
            // /dev/ptmx is the devpts instance's, linked below; a host ptmx node would open the
            // host's pty namespace.
            try createDevice(node, bind: inUserNamespace)
        }
        if mounts.contains(where: { $0.type == "devpts" }) {
            try setupPtmx()
        }
        try setupDevSymlinks()
    }

    /// Creates one device node: mknod with the config's type, numbers, mode and owner; on EPERM
    /// (or when `bind`) an empty file with the host's node bound onto it, as runc does.
    func createDevice(_ node: LinuxDevice, bind: Bool) throws(ChildFailure) {
        let kind: mode_t
        switch node.type {
        case "c", "u": kind = S_IFCHR
        case "b": kind = S_IFBLK
        case "p": kind = S_IFIFO
        default:
            throw ChildFailure(stage: "device", path: node.path, errno: EINVAL,
                               message: "device type \"\(node.type)\" is not one of c, u, b, p")
        }
        // The path comes from the config, the directories on it from the image: resolve it inside.
        let target = try secureJoin(root: rootfs, node.path)
        guard target != rootfs else {
            throw ChildFailure(stage: "device", path: node.path, errno: EINVAL, message: "device path resolves to the rootfs")
        }
        try createInRootfs(Self.parentDirectory(target), file: false, destination: node.path, stage: "device")
        if bind {
            try bindDevice(node, target: target)
            return
        }
        let mode = (node.fileMode ?? 0o666) & 0o7777
        let device = Self.makeDevice(major: UInt64(node.major ?? 0), minor: UInt64(node.minor ?? 0))
        if mknod(target, kind | mode_t(mode), dev_t(device)) != 0 {
            switch errno {
            case EEXIST: return  // the image (or an earlier entry) has it already; runc keeps it
            case EPERM: try bindDevice(node, target: target); return
            case let code:
                throw ChildFailure(stage: "device", path: node.path, errno: code, message: "mknod \(node.type) \(node.major ?? 0):\(node.minor ?? 0)")
            }
        }
        // mknod's mode went through the umask; the config's mode and owner are exact.
        if chmod(target, mode_t(mode)) != 0 {
            throw ChildFailure(stage: "device", path: node.path, errno: errno, message: "chmod \(String(mode, radix: 8))")
        }
        if lchown(target, node.uid ?? 0, node.gid ?? 0) != 0 {
            throw ChildFailure(stage: "device", path: node.path, errno: errno, message: "chown \(node.uid ?? 0):\(node.gid ?? 0)")
        }
    }

    /// Binds the host's node at `node.path` onto an empty file at `target`.
    private func bindDevice(_ node: LinuxDevice, target: String) throws(ChildFailure) {
        try createInRootfs(target, file: true, destination: node.path, stage: "device")
        try mount(node.path, on: target, type: nil, flags: UInt(MS_BIND), data: nil, stage: "device", path: node.path)
    }

    /// The /dev links every Linux program expects (runc's setupDevSymlinks). /proc/self rather
    /// than /proc/thread-self, as distributions do. /dev/core only where the kernel has kcore.
    func setupDevSymlinks() throws(ChildFailure) {
        var links = [("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"), ("/proc/self/fd/1", "stdout"), ("/proc/self/fd/2", "stderr")]
        if access("/proc/kcore", F_OK) == 0 {
            links.append(("/proc/kcore", "core"))
        }
        let dev = try devDirectory()
        for (target, name) in links {
            // An existing entry (the image's own link) is kept, as runc does.
            if symlink(target, dev + "/" + name) != 0 && errno != EEXIST {
                throw ChildFailure(stage: "device", path: "/dev/" + name, errno: errno, message: "symlink to \(target)")
            }
        }
    }

    /// /dev/ptmx → pts/ptmx: with a devpts mount of the container's own (newinstance), its ptmx is
    /// the only one whose ptys belong to the container.
    func setupPtmx() throws(ChildFailure) {
        let path = try devDirectory() + "/ptmx"
        if unlink(path) != 0 && errno != ENOENT {
            throw ChildFailure(stage: "device", path: "/dev/ptmx", errno: errno, message: "unlink")
        }
        if symlink("pts/ptmx", path) != 0 {
            throw ChildFailure(stage: "device", path: "/dev/ptmx", errno: errno, message: "symlink to pts/ptmx")
        }
    }

    /// The host path of the container's /dev, resolved inside the rootfs and created if missing.
    /// The entries above are made in it by name, so an image's own /dev/fd link is not followed.
    private func devDirectory() throws(ChildFailure) -> String {
        let dev = try secureJoin(root: rootfs, "/dev")
        guard dev != rootfs else {
            throw ChildFailure(stage: "device", path: "/dev", errno: EINVAL, message: "/dev resolves to the rootfs itself")
        }
        try createInRootfs(dev, file: false, destination: "/dev", stage: "device")
        return dev
    }

    /// glibc's gnu_dev_makedev: the 64-bit dev_t for a major and minor number.
    static func makeDevice(major: UInt64, minor: UInt64) -> UInt64 {
        (major & 0xffff_f000) << 32 | (major & 0xfff) << 8 | (minor & 0xffff_ff00) << 12 | (minor & 0xff)
    }
}
