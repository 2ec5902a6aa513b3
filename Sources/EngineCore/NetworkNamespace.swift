// NetworkNamespace: a container's network namespace pinned as a file at
// <exec-root>/netns/<container id> (a bind mount of a fresh namespace, made by util-linux
// `unshare --net=FILE true`), so it exists before the container's process and outlives it until
// the engine has run CNI DEL; removal is umount + unlink. The OCI spec joins it by path.
import Errdefs
import Foundation
import Glibc
import Sys

struct NetworkNamespace {
    let directory: String

    init(execRoot: String) { directory = execRoot + "/netns" }

    func path(of id: String) -> String { "\(directory)/\(id)" }

    /// True when `path(of: id)` is a mounted namespace (not just a leftover empty file).
    func isPinned(_ id: String) -> Bool {
        let target = path(of: id)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 && fields[4] == target
        }
    }

    /// Makes and pins a new network namespace for `id` (an existing pin is reused).
    func create(_ id: String) throws(CoreError) -> String {
        let target = path(of: id)
        if isPinned(id) { return target }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw CoreError(.internal, "mkdir \(directory): \(error.localizedDescription)")
        }
        let fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: target, errno: errno)) }
        close(fd)
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        var spawn = Spawn(executable: "unshare", arguments: ["--net=" + target, "true"],
                          environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        spawn.fileDescriptors = [null, null, null]
        let status = try Spawn.waitForExit(try spawn.start())
        guard case .exited(0) = status else {
            unlink(target)
            throw CoreError(.internal, "unshare --net=\(target) true failed: \(status)")
        }
        return target
    }

    /// Unmounts and removes `id`'s namespace file; nothing to do when it is gone.
    func remove(_ id: String) throws(CoreError) {
        let target = path(of: id)
        if umount2(target, Int32(MNT_DETACH)) != 0 && errno != EINVAL && errno != ENOENT {
            throw CoreError(SystemCallFailure(call: "umount2", path: target, errno: errno))
        }
        if unlink(target) != 0 && errno != ENOENT {
            throw CoreError(SystemCallFailure(call: "unlink", path: target, errno: errno))
        }
    }

    /// Ids with a namespace file here (pinned or not).
    func ids() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] }
}
