// LayerApplierTests: layers applied into real directories — the busybox layer (its diff id the
// one the config names), whiteouts and opaque directories in overlayfs's own form, and a hostile
// set built header by header: "..", absolute names, a symlink then a write through it, a hard
// link to a host file, a whiteout of "..". Each is refused or confined, and a canary directory
// outside the layer is checked to be untouched.
import Archive
import Errdefs
import Foundation
import Images
import Sys
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// Builds ustar archives entry by entry (what GNU tar would refuse to write).
struct TestTar {
    var bytes: [UInt8] = []

    mutating func add(_ name: String, type: Character = "0", content: [UInt8] = [], link: String = "", mode: Int = 0o644) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, _ offset: Int, _ length: Int) {
            for (index, byte) in Array(text.utf8).prefix(length).enumerated() { header[offset + index] = byte }
        }
        put(name, 0, 100)
        put(String(format: "%07o", mode), 100, 8)
        put("0000000", 108, 8)
        put("0000000", 116, 8)
        put(String(format: "%011o", content.count), 124, 12)
        put(String(format: "%011o", 1_700_000_000), 136, 12)
        put("        ", 148, 8)
        header[156] = type.asciiValue!
        put(link, 157, 100)
        put("ustar", 257, 6)
        put("00", 263, 2)
        let sum = header.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum) + "\0 ", 148, 8)
        bytes += header + content + [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
    }

    var archive: [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }
}

@Suite(.offPool) struct LayerApplierTests {
    @Test func busyboxLayerIsAppliedWithItsDiffID() throws {
        let dir = try Scratch()
        let store = try ContentStore(root: dir.path + "/content")
        let images = try ImageImporter(store: store).importArchive(try FileSource(path: try ImageImportTests.testImage() + "/busybox-oci.tar"))
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: Data(try store.read(try ContentDigest(parsing: images[0].target.digest))))
        let config = try JSONDecoder().decode(ImageConfig.self, from: Data(try store.read(try ContentDigest(parsing: manifest.config.digest))))
        try FileManager.default.createDirectory(atPath: dir.path + "/layer", withIntermediateDirectories: true)
        let diffID = try LayerApplier.apply(try FileSource(path: store.path(of: try ContentDigest(parsing: manifest.layers[0].digest))),
                                            to: dir.path + "/layer")
        #expect(diffID.description == config.rootfs.diff_ids[0])
        #expect(FileManager.default.isExecutableFile(atPath: dir.path + "/layer/bin/busybox"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.path + "/layer/bin/sh").hasSuffix("busybox"))
    }

    @Test func whiteoutsAndOpaqueDirectoriesTakeOverlayfsForm() throws {
        let dir = try Scratch()
        var tar = TestTar()
        tar.add("etc/", type: "5", mode: 0o755)
        tar.add("etc/.wh.passwd")
        tar.add("var/cache/", type: "5", mode: 0o755)
        tar.add("var/cache/.wh..wh..opq")
        tar.add("var/cache/new", content: Array("fresh".utf8))
        try FileManager.default.createDirectory(atPath: dir.path + "/upper", withIntermediateDirectories: true)
        _ = try LayerApplier.apply(MemorySource(tar.archive), to: dir.path + "/upper")
        var info = stat()
        #expect(lstat(dir.path + "/upper/etc/passwd", &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == 0)
        #expect(try Linux.extendedAttribute(path: dir.path + "/upper/var/cache", name: "trusted.overlay.opaque") == Array("y".utf8))
        #expect(try Linux.extendedAttribute(path: dir.path + "/upper/etc", name: "trusted.overlay.opaque") == nil)
        #expect(try String(contentsOfFile: dir.path + "/upper/var/cache/new", encoding: .utf8) == "fresh")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/upper/var/cache/.wh..wh..opq"))
    }

    @Test func hostileEntriesAreRefusedOrConfined() throws {
        let dir = try Scratch()
        let canary = dir.path + "/canary"
        try FileManager.default.createDirectory(atPath: canary, withIntermediateDirectories: true)
        let layer = dir.path + "/layer/deep"
        func apply(_ build: (inout TestTar) -> Void) throws -> CoreError? {
            try? FileManager.default.removeItem(atPath: dir.path + "/layer")
            try FileManager.default.createDirectory(atPath: layer, withIntermediateDirectories: true)
            var tar = TestTar()
            build(&tar)
            do { _ = try LayerApplier.apply(MemorySource(tar.archive), to: layer); return nil } catch { return error }
        }
        #expect(try apply { $0.add("../../canary/escaped", content: [1]) }?.message.contains("leaves the layer") == true)
        #expect(try apply { $0.add("ok/../../canary/escaped", content: [1]) } != nil)
        // An absolute name lands inside the layer.
        #expect(try apply { $0.add("\(canary)/absolute", content: [1]) } == nil)
        #expect(FileManager.default.fileExists(atPath: layer + canary + "/absolute"))
        // A symlink out of the layer, then a write through it.
        let through = try apply {
            $0.add("link", type: "2", link: canary)
            $0.add("link/through", content: Array("pwned".utf8))
        }
        #expect(through?.message.contains("not a directory (a symlink?)") == true)
        // A hard link to a host file.
        let hard = try apply { $0.add("passwd", type: "1", link: "/etc/passwd") }
        #expect(hard?.message.contains("not a file of this layer") == true)
        let hardUp = try apply { $0.add("passwd", type: "1", link: "../../etc/passwd") }
        #expect(hardUp != nil)
        // A whiteout of "..".
        #expect(try apply { $0.add("sub/.wh...", content: []) } != nil)
        // Nothing reached the canary, and /etc/passwd is intact.
        #expect(try FileManager.default.contentsOfDirectory(atPath: canary).isEmpty)
        #expect(try String(contentsOfFile: "/etc/passwd", encoding: .utf8).hasPrefix("root:"))
    }
}
