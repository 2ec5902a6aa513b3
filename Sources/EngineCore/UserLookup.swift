// UserLookup: `-u name[:group]` resolved as docker resolves it — against the container's own
// /etc/passwd and /etc/group (read from its snapshot: the writable layer, then each image layer
// down, a whiteout ending the search). A name must be there; a numeric uid need not be (its gid is
// then 0); a user found there also gets the supplementary groups that list it.
import API
import Errdefs
import Foundation
import Glibc
import OCI

enum UserLookup {
    struct Entry {
        var name: String
        var id: UInt32
        var gid: UInt32
        var members: [String]
    }

    /// The uid, gid and supplementary gids for `spec` ("user", "uid", "user:group", "uid:gid").
    static func resolve(_ spec: String, passwd: String?, group: String?) throws(CoreError) -> User {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let users = parse(passwd ?? "", idField: 2, gidField: 3)
        let groups = parse(group ?? "", idField: 2, gidField: nil)
        var uid: UInt32
        var gid: UInt32 = 0
        var name: String?
        if let number = UInt32(parts[0]) {
            uid = number
            if let entry = users.first(where: { $0.id == number }) {
                gid = entry.gid
                name = entry.name
            }
        } else if let entry = users.first(where: { $0.name == parts[0] }) {
            uid = entry.id
            gid = entry.gid
            name = entry.name
        } else {
            throw CoreError(.invalidArgument, "unable to find user \(parts[0]): no matching entries in passwd file")
        }
        if parts.count > 1 {
            if let number = UInt32(parts[1]) {
                gid = number
            } else if let entry = groups.first(where: { $0.name == parts[1] }) {
                gid = entry.id
            } else {
                throw CoreError(.invalidArgument, "unable to find group \(parts[1]): no matching entries in group file")
            }
        }
        let additional = name.map { user in groups.filter { $0.members.contains(user) && $0.id != gid }.map(\.id) } ?? []
        return User(uid: uid, gid: gid, additionalGids: additional.isEmpty ? nil : additional)
    }

    /// passwd (name:x:uid:gid:…) or group (name:x:gid:member,member) lines.
    static func parse(_ text: String, idField: Int, gidField: Int?) -> [Entry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count > idField, !fields[0].hasPrefix("#"), let id = UInt32(fields[idField]) else { return nil }
            let gid = gidField.flatMap { fields.count > $0 ? UInt32(fields[$0]) : nil } ?? id
            let members = gidField == nil && fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
            return Entry(name: fields[0], id: id, gid: gid, members: members)
        }
    }

    /// A file of the container's filesystem read from its snapshot's mounts (overlay upper, then
    /// lowers in order; or a bind's source); nil if absent. Reads at most 1 MiB.
    static func readFile(_ path: String, mounts: [Containerd_Types_Mount]) -> String? {
        var layers: [String] = []
        for mount in mounts {
            if mount.type == "overlay" {
                let options = mount.options
                if let upper = options.first(where: { $0.hasPrefix("upperdir=") }) { layers.append(String(upper.dropFirst(9))) }
                if let lower = options.first(where: { $0.hasPrefix("lowerdir=") }) {
                    layers += lower.dropFirst(9).split(separator: ":").map(String.init)
                }
            } else {
                layers.append(mount.source)
            }
        }
        for layer in layers {
            let candidate = layer + path
            var info = stat()
            guard lstat(candidate, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0 { return nil }  // a whiteout: deleted above
            guard info.st_mode & S_IFMT == S_IFREG, info.st_size <= 1 << 20,
                  let data = FileManager.default.contents(atPath: candidate) else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
        return nil
    }
}
