// Credentials: the calling process's user and group ids, set the way a container init needs —
// real, effective and saved at once (setresuid/setresgid, which Swift's Glibc module hides
// without _GNU_SOURCE), and the supplementary groups. glibc applies each change to every thread.
import CCap
import Errdefs
import Glibc

/// Changes the process's user and group ids. Order matters: groups first, uid last, because a
/// process that is no longer root may not change its groups.
public enum Credentials {
    /// setresuid(uid, uid, uid). EINVAL means `uid` is not mapped in the user namespace; EPERM
    /// that the caller lacks CAP_SETUID.
    public static func setUserID(_ uid: UInt32) throws(CoreError) {
        guard setresuid(uid, uid, uid) == 0 else {
            throw CoreError(SystemCallFailure(call: "setresuid", path: String(uid), errno: errno))
        }
    }

    /// setresgid(gid, gid, gid). EINVAL means `gid` is not mapped in the user namespace.
    public static func setGroupID(_ gid: UInt32) throws(CoreError) {
        guard setresgid(gid, gid, gid) == 0 else {
            throw CoreError(SystemCallFailure(call: "setresgid", path: String(gid), errno: errno))
        }
    }

    /// setgroups(gids): replaces the supplementary groups (an empty list clears them). EPERM in
    /// a user namespace whose /proc/self/setgroups says "deny".
    public static func setSupplementaryGroups(_ gids: [UInt32]) throws(CoreError) {
        let values = gids.map { gid_t($0) }
        guard setgroups(values.count, values) == 0 else {
            throw CoreError(SystemCallFailure(call: "setgroups", errno: errno))
        }
    }
}
