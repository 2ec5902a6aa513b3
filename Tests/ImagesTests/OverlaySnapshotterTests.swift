// OverlaySnapshotterTests: committed layers and an active snapshot over them mounted for real —
// a whiteout in the upper layer hides a lower file, writes land in the active snapshot only —
// removal refused while a child exists, and a directory without a record (a crash mid-prepare)
// removed when the snapshotter opens (and one a removal had renamed away); pruning removes the
// committed layers outside the kept set that nothing is built on, leaf first, never an active one.
import Errdefs
import Foundation
import Snapshots
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.offPool) struct OverlaySnapshotterTests {
    @Test func layersMountAsOverlayAndWritesStayInTheActiveSnapshot() throws {
        let dir = try Scratch()
        let snapshotter = try OverlaySnapshotter(root: dir.path + "/snapshots")
        try snapshotter.commitNew("ns", key: "l1", parent: nil) { fs in
            try "a".write(toFile: fs + "/a", atomically: false, encoding: .utf8)
            try "b".write(toFile: fs + "/b", atomically: false, encoding: .utf8)
        }
        try snapshotter.commitNew("ns", key: "l2", parent: "l1") { fs in
            guard mknod(fs + "/a", S_IFCHR, 0) == 0 else { throw CoreError(SystemCallFailure(call: "mknod", path: fs, errno: errno)) }
            try "c".write(toFile: fs + "/c", atomically: false, encoding: .utf8)
        }
        let mounts = try snapshotter.prepare("ns", key: "ctr", parent: "l2")
        #expect(mounts.count == 1 && mounts[0].type == "overlay")
        let target = dir.path + "/mnt"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        guard mount("overlay", target, "overlay", 0, mounts[0].options.joined(separator: ",")) == 0 else {
            Issue.record("mount overlay: errno \(errno)")
            return
        }
        defer { umount2(target, Int32(MNT_DETACH)) }
        #expect(!FileManager.default.fileExists(atPath: target + "/a"))  // whited out by l2
        #expect(try String(contentsOfFile: target + "/b", encoding: .utf8) == "b")
        #expect(try String(contentsOfFile: target + "/c", encoding: .utf8) == "c")
        try "d".write(toFile: target + "/d", atomically: false, encoding: .utf8)
        umount2(target, Int32(MNT_DETACH))
        let active = try #require(snapshotter.stat("ns", "ctr"))
        #expect(FileManager.default.fileExists(atPath: "\(dir.path)/snapshots/\(active.id)/fs/d"))
        let l2 = try #require(snapshotter.stat("ns", "l2"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/snapshots/\(l2.id)/fs/d"))
        #expect(try snapshotter.usage("ns", key: "ctr").inodes == 1)

        #expect(throws: CoreError.self) { try snapshotter.remove("ns", key: "l2") }  // ctr is built on it
        #expect(throws: CoreError.self) { _ = try snapshotter.prepare("ns", key: "ctr", parent: "l2") }
        #expect(snapshotter.list("other").isEmpty)
        try snapshotter.remove("ns", key: "ctr")
        try snapshotter.remove("ns", key: "l2")
        #expect(snapshotter.list("ns").map(\.key) == ["l1"])
    }

    @Test func aDirectoryWithoutARecordIsRemovedAtOpen() throws {
        let dir = try Scratch()
        _ = try OverlaySnapshotter(root: dir.path + "/snapshots")
        try FileManager.default.createDirectory(atPath: dir.path + "/snapshots/7/fs", withIntermediateDirectories: true)
        let failed = try OverlaySnapshotter(root: dir.path + "/snapshots")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/snapshots/7"))
        // A fill that fails leaves nothing either.
        #expect(throws: CoreError.self) {
            try failed.commitNew("ns", key: "bad", parent: nil) { _ in throw CoreError(.dataLoss, "layer corrupt") }
        }
        #expect(failed.list("ns").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/snapshots") == ["meta"])
        // A removal that crashed after renaming the directory away.
        try FileManager.default.createDirectory(atPath: dir.path + "/snapshots/removing-3/fs", withIntermediateDirectories: true)
        _ = try OverlaySnapshotter(root: dir.path + "/snapshots")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/snapshots") == ["meta"])
    }

    @Test func pruneRemovesUnkeptLayersNothingIsBuiltOn() throws {
        let dir = try Scratch()
        let snapshotter = try OverlaySnapshotter(root: dir.path + "/snapshots")
        // l1 <- l2 <- l3, and l1 <- m2 with an active snapshot on m2.
        for (key, parent) in [("l1", nil), ("l2", "l1"), ("l3", "l2"), ("m2", "l1")] as [(String, String?)] {
            try snapshotter.commitNew("ns", key: key, parent: parent) { fs in
                try key.write(toFile: fs + "/" + key, atomically: false, encoding: .utf8)
            }
        }
        _ = try snapshotter.prepare("ns", key: "ctr", parent: "m2")
        try snapshotter.commitNew("other", key: "l1", parent: nil) { _ in }
        #expect(snapshotter.namespaces() == ["ns", "other"])

        #expect(snapshotter.prune("ns", keeping: ["l1", "l2", "l3"]).isEmpty)  // m2 has a child
        #expect(Set(snapshotter.prune("ns", keeping: ["l1"])) == ["l2", "l3"])  // l3 first, then l2
        #expect(snapshotter.list("ns").map(\.key) == ["ctr", "l1", "m2"])
        try snapshotter.remove("ns", key: "ctr")
        #expect(Set(snapshotter.prune("ns", keeping: [])) == ["m2", "l1"])
        #expect(snapshotter.list("ns").isEmpty)
        #expect(snapshotter.list("other").map(\.key) == ["l1"])  // another namespace is not touched
        let dirs = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/snapshots").filter { $0 != "meta" }
        #expect(dirs.count == 1)  // other's l1
    }
}
