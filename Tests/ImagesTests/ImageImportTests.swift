// ImageImportTests: the content store (verified, atomic ingest; garbage collection) and image
// import of the test image as an OCI layout and as a docker-archive, plain and gzip-compressed —
// the same config and layers either way — plus archives that must be refused: a blob whose bytes
// do not match its name, neither layout, a config whose diff ids do not match the layers.
import Archive
import Digest
import Errdefs
import Foundation
import Images
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.offPool) struct ImageImportTests {
    static func testImage() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["BERTH_TEST_IMAGE"], !dir.isEmpty { return dir }
        var repository = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { repository.deleteLastPathComponent() }
        return repository.path + "/.build-test-image"
    }

    @Test func contentIsVerifiedWhileWrittenAndCollected() throws {
        let dir = try Scratch()
        let store = try ContentStore(root: dir.path + "/content")
        let hello = Array("hello".utf8)
        let stored = try store.ingest(MemorySource(hello), expected: try ContentDigest(hex: SHA256.hex(hello)), expectedSize: 5)
        #expect(try store.read(stored.digest) == hello)
        let wrong = #expect(throws: CoreError.self) {
            try store.ingest(MemorySource(Array("hellO".utf8)), expected: stored.digest)
        }
        #expect(wrong?.code == .dataLoss)
        #expect(throws: CoreError.self) { try store.ingest(MemorySource(hello), expectedSize: 4) }
        #expect(store.list() == [stored.digest])  // nothing else became visible
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/content/ingest").isEmpty)
        #expect(throws: CoreError.self) { _ = try ContentDigest(parsing: "sha256:../../etc/passwd") }
        let other = try store.ingest(MemorySource(Array("other".utf8)))
        #expect(store.garbageCollect(keeping: [stored.digest]) == [other.digest])
        #expect(store.list() == [stored.digest])
    }

    @Test func bothArchiveFormatsImportTheSameImage() throws {
        let dir = try Scratch()
        let image = try Self.testImage()
        try dir.run("cp \(image)/busybox-oci.tar oci.tar && cp \(image)/busybox-docker.tar docker.tar && gzip -k oci.tar && gzip -k docker.tar")
        let store = try ContentStore(root: dir.path + "/content")
        let importer = ImageImporter(store: store)
        var configs: Set<String> = []
        for name in ["oci.tar", "docker.tar", "oci.tar.gz", "docker.tar.gz"] {
            let images = try importer.importArchive(try FileSource(path: "\(dir.path)/\(name)"))
            #expect(images.map(\.name) == ["docker.io/library/busybox:latest"], "\(name)")
            let manifest = try JSONDecoder().decode(ImageManifest.self, from: Data(try store.read(try ContentDigest(parsing: images[0].target.digest))))
            let config = try JSONDecoder().decode(ImageConfig.self, from: Data(try store.read(try ContentDigest(parsing: manifest.config.digest))))
            #expect(config.rootfs.diff_ids.count == manifest.layers.count && manifest.layers.count == 1)
            #expect(config.os == "linux" && config.architecture == "amd64")
            configs.insert(manifest.config.digest + " " + config.rootfs.diff_ids.joined())
        }
        #expect(configs.count == 1)  // the same config and diff ids from every archive
        let renamed = try importer.importArchive(try FileSource(path: "\(dir.path)/docker.tar"), name: "example.com/tools/box:1.0")
        #expect(renamed.map(\.name) == ["example.com/tools/box:1.0"])
    }

    @Test func exportedLayoutsImportAgainUnchanged() throws {
        let dir = try Scratch()
        let store = try ContentStore(root: dir.path + "/content")
        let images = try ImageImporter(store: store).importArchive(try FileSource(path: try Self.testImage() + "/busybox-docker.tar"))
        let fd = open(dir.path + "/export.tar", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        try ImageExporter(store: store).export(images, to: fd, path: dir.path + "/export.tar")
        close(fd)
        try dir.run("tar -tf export.tar > listing")
        let listing = try String(contentsOfFile: dir.path + "/listing", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(listing.prefix(2) == ["oci-layout", "index.json"])
        #expect(listing.filter { $0.hasPrefix("blobs/sha256/") && $0.count == 77 }.count == 3)  // manifest, config, layer
        let fresh = try ContentStore(root: dir.path + "/fresh")
        let again = try ImageImporter(store: fresh).importArchive(try FileSource(path: dir.path + "/export.tar"))
        #expect(again == images)  // same name, same manifest descriptor
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: Data(try fresh.read(try ContentDigest(parsing: again[0].target.digest))))
        for blob in [manifest.config] + manifest.layers { #expect(fresh.contains(try ContentDigest(parsing: blob.digest))) }
    }

    @Test func badArchivesAreRefused() throws {
        let dir = try Scratch()
        let image = try Self.testImage()
        let store = try ContentStore(root: dir.path + "/content")
        let importer = ImageImporter(store: store)
        // A blob whose bytes do not match the digest its path names.
        try dir.run("mkdir layout && tar -C layout -xf \(image)/busybox-oci.tar && "
                    + "f=$(ls layout/blobs/sha256 | head -1) && printf x >> layout/blobs/sha256/$f && tar -C layout -cf tampered.tar .")
        let tampered = #expect(throws: CoreError.self) { _ = try importer.importArchive(try FileSource(path: "\(dir.path)/tampered.tar")) }
        #expect(tampered?.code == .dataLoss)
        // Neither an OCI layout nor a docker-archive.
        try dir.run("mkdir other && echo hi > other/readme && tar -C other -cf other.tar .")
        let other = #expect(throws: CoreError.self) { _ = try importer.importArchive(try FileSource(path: "\(dir.path)/other.tar")) }
        #expect(other?.message.contains("neither index.json") == true)
        // Not a tar at all.
        #expect(throws: CoreError.self) { _ = try importer.importArchive(MemorySource(Array(repeating: 7, count: 2048))) }
    }

    @Test func namesAreNormalisedLikeDockers() throws {
        #expect(try ImageReference.normalize("busybox") == "docker.io/library/busybox:latest")
        #expect(try ImageReference.normalize("me/app:2") == "docker.io/me/app:2")
        #expect(try ImageReference.normalize("localhost:5000/app") == "localhost:5000/app:latest")
        #expect(try ImageReference.normalize("quay.io/x/y@sha256:" + String(repeating: "a", count: 64)).hasSuffix("@sha256:" + String(repeating: "a", count: 64)))
        for bad in ["", "Upper/Case", "a//b", "/abs", "with space"] {
            #expect(throws: CoreError.self) { _ = try ImageReference.normalize(bad) }
        }
        #expect(ChainID.of(["sha256:a", "sha256:b"]) == ["sha256:a", "sha256:" + SHA256.hex(Array("sha256:a sha256:b".utf8))])
    }
}
