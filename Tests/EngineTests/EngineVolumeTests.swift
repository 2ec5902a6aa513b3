// EngineVolumeTests: volumes and mounts end to end against a real engine — data written to a named
// volume by one container is read by the next, `:ro` refuses writes (EROFS inside), a bind mount
// sees a host change made after start, an image's VOLUME gets an anonymous volume that `rm -v`
// removes and `rm` keeps, an empty volume is filled from the image (files, modes, symlinks) unless
// volume-nocopy, --tmpfs is a tmpfs, --volumes-from shares (ro too), `volume rm` is refused while
// a container uses the volume, prune takes unused anonymous volumes (all with -a), `system df`
// counts them. Nothing stays mounted on the host afterwards. MountSpecTests: the parsing rules.
@testable import EngineCore
import API
import Foundation
import OCI
import TestSupport
import Testing

@Suite(.serialized, .offPool) struct EngineVolumeTests {
    @Test func namedVolumeKeepsDataAndReadOnlyRefusesWrites() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["volume", "create", "--label", "k=v", "data1"]).out == "data1\n")
            let write = try await h.berth(["run", "--rm", "-v", "data1:/data", "busybox", "sh", "-c", "echo hello > /data/f"])
            #expect(write.status == 0, "\(write.err)")
            let read = try await h.berth(["run", "--rm", "-v", "data1:/data:ro", "busybox", "cat", "/data/f"])
            #expect(read.out == "hello\n", "\(read.err)")
            let refused = try await h.berth(["run", "--rm", "-v", "data1:/data:ro", "busybox", "sh", "-c", "echo x > /data/g"])
            #expect(refused.status != 0)
            #expect(refused.out.contains("Read-only file system") || refused.err.contains("Read-only file system"), "\(refused)")
            // --mount readonly too; a volume created on demand by -v.
            let mounted = try await h.berth(["run", "--rm", "--mount", "type=volume,source=data1,target=/d,readonly", "busybox",
                                             "sh", "-c", "cat /d/f; touch /d/x"])
            #expect(mounted.status != 0 && mounted.out == "hello\n", "\(mounted)")
            #expect(try await h.berth(["run", "--rm", "-v", "ondemand:/x", "busybox", "true"]).status == 0)
            let listed = try await h.berth(["volume", "ls", "-q"])
            #expect(listed.out.split(separator: "\n").sorted() == ["data1", "ondemand"], "\(listed)")
            let labelled = try await h.berth(["volume", "ls", "-q", "--filter", "label=k=v"])
            #expect(labelled.out == "data1\n", "\(labelled)")
            let table = try await h.berth(["volume", "ls"])
            #expect(table.out.hasPrefix("DRIVER   VOLUME NAME\nlocal    data1\n"), "\(table.out)")

            // In use (even by a stopped container): refused with docker's message, -f too.
            let created = try await h.berth(["create", "--name", "user", "-v", "data1:/data", "busybox", "true"])
            let id = created.out.trimmingCharacters(in: .whitespacesAndNewlines)
            let inUse = try await h.berth(["volume", "rm", "data1"])
            #expect(inUse.status == 1 && inUse.err.contains("remove data1: volume is in use - [\(id)]"), "\(inUse)")
            #expect(try await h.berth(["volume", "rm", "-f", "data1"]).status == 1)
            let dangling = try await h.berth(["volume", "ls", "-q", "--filter", "dangling=true"])
            #expect(dangling.out == "ondemand\n", "\(dangling)")
            let inspect = try await h.berth(["volume", "inspect", "-f", "{{.Mountpoint}} {{json .Labels}}", "data1"])
            #expect(inspect.out == "\(h.work)/data/volumes/data1/_data {\"k\":\"v\"}\n", "\(inspect)")
            #expect(try await h.berth(["rm", "user"]).status == 0)
            #expect(try await h.berth(["volume", "rm", "data1"]).status == 0)
            #expect(!FileManager.default.fileExists(atPath: "\(h.work)/data/volumes/data1"))
            #expect(try await h.berth(["volume", "rm", "-f", "data1"]).status == 0)
            #expect(try await h.berth(["volume", "rm", "data1"]).err.contains("no such volume"))
            try expectNothingMounted(h)
        }
    }

    @Test func bindMountsSeeHostChangesAndMissingSourcesFollowDocker() async throws {
        try await withEngine { h in
            let dir = h.work + "/host-bind/sub"  // missing: -v makes it
            let run = try await h.berth(["run", "-d", "--name", "bb", "-v", "\(dir):/mnt", "busybox", "sleep", "1000"])
            #expect(run.status == 0, "\(run.err)")
            #expect(FileManager.default.fileExists(atPath: dir))
            try "after start\n".write(toFile: dir + "/late.txt", atomically: false, encoding: .utf8)
            let seen = try await h.berth(["exec", "bb", "cat", "/mnt/late.txt"])
            #expect(seen.out == "after start\n", "\(seen)")
            #expect(try await h.berth(["exec", "bb", "sh", "-c", "echo back > /mnt/back.txt"]).status == 0)
            #expect(try String(contentsOfFile: dir + "/back.txt", encoding: .utf8) == "back\n")
            let mounts = try await inspectMounts(h, "bb")
            #expect(mounts.first?["Type"] as? String == "bind" && mounts.first?["Propagation"] as? String == "rprivate", "\(mounts)")
            #expect(try await h.berth(["rm", "-f", "bb"]).status == 0)
            #expect(FileManager.default.fileExists(atPath: dir + "/back.txt"))  // a bind's files are the host's

            let missing = try await h.berth(["run", "--rm", "--mount", "type=bind,source=\(h.work)/nope,target=/x", "busybox", "true"])
            #expect(missing.status == 125 && missing.err.contains("bind source path does not exist: \(h.work)/nope"), "\(missing)")
            let duplicate = try await h.berth(["create", "-v", "\(dir):/m", "-v", "v2:/m", "busybox", "true"])
            #expect(duplicate.status == 125 && duplicate.err.contains("Duplicate mount point: /m"), "\(duplicate)")
            #expect(try await h.berth(["volume", "ls", "-q"]).out.isEmpty)  // a refused create leaves no volume
            // Propagation: an rshared bind is a shared mount inside (the root made rshared for it).
            let shared = try await h.berth(["run", "--rm", "-v", "\(dir):/m:rshared", "busybox", "grep", " /m ", "/proc/self/mountinfo"])
            #expect(shared.status == 0 && shared.out.contains(" shared:"), "\(shared)")
            let readOnly = try await h.berth(["run", "--rm", "-v", "\(dir):/m:ro", "busybox", "touch", "/m/y"])
            #expect(readOnly.status != 0 && readOnly.err.contains("Read-only file system"), "\(readOnly)")
            try expectNothingMounted(h)
        }
    }

    @Test func imageVolumesGetAnonymousVolumesThatRmVRemoves() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["create", "--name", "src", "busybox", "true"]).status == 0)
            #expect(try await h.berth(["export", "-o", h.work + "/fs.tar", "src"]).status == 0)
            let imported = try await h.berth(["import", "-c", "VOLUME /data", h.work + "/fs.tar", "volimg"])
            #expect(imported.status == 0, "\(imported.err)")

            #expect(try await h.berth(["create", "--name", "kept", "volimg", "sh", "-c", "echo k > /data/f"]).status == 0)
            let kept = try #require(try await inspectMounts(h, "kept").first)
            let keptName = try #require(kept["Name"] as? String)
            #expect(keptName.count == 64 && kept["Destination"] as? String == "/data" && kept["Type"] as? String == "volume", "\(kept)")
            #expect(try await h.berth(["start", "-a", "kept"]).status == 0)
            #expect(try await h.berth(["rm", "kept"]).status == 0)
            #expect(try await h.berth(["volume", "ls", "-q"]).out == keptName + "\n")

            #expect(try await h.berth(["create", "--name", "gone", "volimg", "true"]).status == 0)
            let goneName = try #require(try await inspectMounts(h, "gone").first?["Name"] as? String)
            #expect(try await h.berth(["rm", "-v", "gone"]).status == 0)
            #expect(!(try await h.berth(["volume", "ls", "-q"]).out.contains(goneName)))
            // --rm removes its anonymous volumes; a -v over the declared path replaces the anonymous one.
            let removed = try await h.berth(["run", "--rm", "volimg", "true"])
            #expect(removed.status == 0, "run --rm: \(removed.status) \(removed.err)\n\(h.engineLog.suffix(2000))")
            #expect(try await h.berth(["run", "--rm", "-v", "named:/data", "volimg", "true"]).status == 0)
            #expect(try await h.berth(["volume", "ls", "-q"]).out.split(separator: "\n").map(String.init).sorted() == [keptName, "named"].sorted())

            let df = try await h.berth(["system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}"])
            #expect(df.out.contains("Local Volumes 2 0"), "\(df)")
            // prune: unused anonymous ones only; -a every unused one.
            let pruned = try await h.berth(["volume", "prune", "-f"])
            #expect(pruned.out.contains("Deleted Volumes:\n\(keptName)\n") && !pruned.out.contains("named"), "\(pruned)")
            #expect(try await h.berth(["volume", "ls", "-q"]).out == "named\n")
            #expect(try await h.berth(["volume", "prune", "-f", "-a"]).out.contains("named"))
            #expect(try await h.berth(["volume", "ls", "-q"]).out.isEmpty)
            try expectNothingMounted(h)
        }
    }

    @Test func emptyVolumesArePopulatedFromTheImage() async throws {
        try await withEngine { h in
            let etc = try await h.berth(["run", "--rm", "-v", "etcvol:/etc", "busybox", "cat", "/etc/passwd"])
            #expect(etc.out.hasPrefix("root:x:0:0:root:/root:/bin/sh\n"), "\(etc)")
            let bin = try await h.berth(["run", "--rm", "-v", "binvol:/bin", "busybox", "sh", "-c", "readlink /bin/sh; stat -c %a /bin/busybox"])
            #expect(bin.out == "busybox\n755\n", "\(bin)")
            // On the host: a symlink stays a symlink, modes and the directory's own mode copied.
            let data = "\(h.work)/data/volumes/binvol/_data"
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: data + "/sh") == "busybox")
            let info = try FileManager.default.attributesOfItem(atPath: data + "/busybox")
            #expect((info[.posixPermissions] as? Int) == 0o755)
            // Not empty any more: a second use does not copy again; what a container wrote stays.
            #expect(try await h.berth(["run", "--rm", "-v", "etcvol:/etc", "busybox", "sh", "-c", "echo mine > /etc/passwd"]).status == 0)
            #expect(try await h.berth(["run", "--rm", "-v", "etcvol:/etc", "busybox", "cat", "/etc/passwd"]).out == "mine\n")
            // volume-nocopy: left empty.
            let nocopy = try await h.berth(["run", "--rm", "--mount", "type=volume,source=bare,target=/etc,volume-nocopy",
                                            "busybox", "sh", "-c", "test -e /etc/passwd && echo copied || echo empty"])
            #expect(nocopy.out == "empty\n", "\(nocopy)")
            try expectNothingMounted(h)
        }
    }

    @Test func tmpfsAndVolumesFrom() async throws {
        try await withEngine { h in
            let tmpfs = try await h.berth(["run", "--rm", "--tmpfs", "/scratch:size=1m", "--mount", "type=tmpfs,target=/t2,tmpfs-mode=700",
                                           "busybox", "sh", "-c", "grep -E ' /(scratch|t2) ' /proc/mounts; stat -c %a /t2"])
            let lines = tmpfs.out.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(tmpfs)")
            #expect(lines.contains { $0.hasPrefix("tmpfs /scratch tmpfs rw,nosuid,nodev,noexec") && $0.contains("size=1024k") }, "\(tmpfs)")
            #expect(lines.contains { $0.hasPrefix("tmpfs /t2 tmpfs ") } && lines.last == "700", "\(tmpfs)")

            #expect(try await h.berth(["create", "--name", "keeper", "-v", "shared:/shared", "-v", "/anon", "busybox", "true"]).status == 0)
            let write = try await h.berth(["run", "--rm", "--volumes-from", "keeper", "busybox", "sh", "-c", "echo hi > /shared/x; echo a > /anon/a"])
            #expect(write.status == 0, "\(write)")
            let readOnly = try await h.berth(["run", "--rm", "--volumes-from", "keeper:ro", "busybox", "sh", "-c", "cat /shared/x /anon/a; touch /shared/y"])
            #expect(readOnly.out == "hi\na\n" && readOnly.err.contains("Read-only file system"), "\(readOnly)")
            // The anonymous volume a --volumes-from user shares is not removed by its --rm.
            let anonymous = try #require(try await inspectMounts(h, "keeper").first { $0["Destination"] as? String == "/anon" }?["Name"] as? String)
            #expect(try await h.berth(["volume", "inspect", anonymous]).status == 0)
            #expect(try await h.berth(["rm", "-v", "keeper"]).status == 0)
            #expect(try await h.berth(["volume", "ls", "-q"]).out == "shared\n")
            try expectNothingMounted(h)
        }
    }

    @Test func volumesSurviveAnEngineRestart() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["run", "--rm", "-v", "persist:/p", "busybox", "sh", "-c", "echo 1 > /p/f"]).status == 0)
            // A directory left without a record (a crash inside create) is removed at start.
            try FileManager.default.createDirectory(atPath: "\(h.work)/data/volumes/halfmade/_data", withIntermediateDirectories: true)
            h.killEngine()
            try await h.start()
            #expect(try await h.berth(["volume", "ls", "-q"]).out == "persist\n")
            #expect(!FileManager.default.fileExists(atPath: "\(h.work)/data/volumes/halfmade"))
            #expect(try await h.berth(["run", "--rm", "-v", "persist:/p", "busybox", "cat", "/p/f"]).out == "1\n")
        }
    }
}

private func inspectMounts(_ h: EngineHarness, _ name: String) async throws -> [[String: Any]] {
    let result = try await h.berth(["inspect", "-f", "{{json .Mounts}}", name])
    return (try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]]) ?? []
}

private func expectNothingMounted(_ h: EngineHarness) throws {
    let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
    #expect(!mounts.contains(h.work + "/data/volumes"), "\(mounts)")
}

struct MountSpecTests {
    @Test func bindStringsFollowDockersRules() throws {
        let bind = try MountSpecs.parseBind("/host//dir/:/in/./x:ro,rslave")
        #expect(bind.kind == .bind(source: "/host/dir", create: true) && bind.destination == "/in/x")
        #expect(bind.readOnly && bind.propagation == "rslave" && bind.mode == "ro,rslave")
        let volume = try MountSpecs.parseBind("name:/data:nocopy,z")
        #expect(volume.kind == .volume(name: "name", labels: [:], copy: false) && !volume.readOnly)
        #expect(try MountSpecs.parseBind("/only").kind == .volume(name: "", labels: [:], copy: true))
        for bad in ["a:/x:bogus", "v:/x:rshared", "/h:/x:ro,rw", "a:relative", "-bad:/x", "/h:/", "a:b:c:d"] {
            #expect(throws: (any Error).self, "\(bad)") { try MountSpecs.parseBind(bad) }
        }
        let wanted = try MountSpecs.wanted(binds: ["/h:/data"], mounts: [], anonymous: ["/data", "/other"], inherited: ["/other"])
        #expect(wanted.map(\.destination) == ["/data"])
    }

    @Test func specMountsArePlacedParentBeforeChild() {
        var inspect = Engine_ContainerInspect()
        for (destination, source) in [("/etc/sub", "/s1"), ("/etc", "/s2")] {
            var point = Engine_MountPoint()
            point.type = "bind"
            point.destination = destination
            point.source = source
            point.rw = destination == "/etc"
            inspect.mounts.append(point)
        }
        let defaults = [Mount(destination: "/proc", type: "proc", source: "proc")]
        let etc = [Mount(destination: "/etc/hosts", type: "bind", source: "/h", options: ["rbind", "rprivate"])]
        let ordered = MountTable.ordered(defaults: defaults, etc: etc, user: MountTable.userMounts(inspect))
        #expect(ordered.map(\.destination) == ["/proc", "/etc", "/etc/hosts", "/etc/sub"])
        #expect(ordered.last?.options == ["rbind", "rprivate", "ro"])
    }
}
