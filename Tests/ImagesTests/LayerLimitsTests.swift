// LayerLimitsTests: the layer limits (entries, uncompressed bytes) where they are enforced — the
// check that reads a layer writing nothing (refusing part-way: fed an endless layer, it stops
// reading just past the limit, so nothing is read whole first), the importer that runs it on every
// layer of an archive (an image over a limit is refused at import, one within it imports), and
// LayerApplier, which enforces the same limit again while it extracts.
import Archive
import Digest
import Errdefs
import Foundation
import Images
import TestSupport
import Testing

/// An endless layer: `many/0`, `many/1`, … as empty files, or one file of endless zeros; counts
/// the bytes it handed out.
final class EndlessLayer: ByteSource {
    enum Shape { case emptyFiles, zeros }
    private let shape: Shape
    private var pending: [UInt8] = []
    private var next = 0
    private(set) var served = 0

    init(_ shape: Shape) {
        self.shape = shape
        if shape == .zeros { pending = try! TarEntryWriter.headers(for: TarEntry(.file, path: "zeros", mode: 0o644, size: 1 << 40)) }
    }

    func read(upTo count: Int) throws(CoreError) -> [UInt8] {
        while pending.count < count {
            switch shape {
            case .emptyFiles: pending += try TarEntryWriter.headers(for: TarEntry(.file, path: "many/\(next)", mode: 0o644))
            case .zeros: pending += [UInt8](repeating: 0, count: count)
            }
            next += 1
        }
        let chunk = Array(pending.prefix(count))
        pending.removeFirst(chunk.count)
        served += chunk.count
        return chunk
    }
}

@Suite(.offPool) struct LayerLimitsTests {
    /// A layer tar of `count` empty files under many/.
    static func layer(files count: Int) -> [UInt8] {
        var tar = TestTar()
        tar.add("many/", type: "5", mode: 0o755)
        for index in 0..<count { tar.add("many/\(index)") }
        return tar.archive
    }

    @Test func checkRefusesPartWayAndCountsWhatIsWithin() throws {
        let limits = LayerLimits(maxBytes: 1 << 30, maxEntries: 1_000)
        let endless = EndlessLayer(.emptyFiles)
        let many = #expect(throws: CoreError.self) { _ = try limits.check(endless, what: "layer x") }
        #expect(many?.code == .resourceExhausted && many?.message == "layer x has more than 1000 entries (the layer entry limit, --max-layer-entries): refused")
        // 1001 headers, and at most one read-ahead buffer (64 KiB) more.
        #expect(endless.served <= 1_001 * 512 + (64 << 10) + 2, "read \(endless.served) bytes for 1001 headers")

        let zeros = EndlessLayer(.zeros)
        let bomb = #expect(throws: CoreError.self) { _ = try LayerLimits(maxBytes: 4 << 20, maxEntries: 10).check(zeros, what: "layer y") }
        #expect(bomb?.code == .resourceExhausted && bomb?.message.contains("layer y unpacks to more than 4194304 bytes") == true)
        #expect(zeros.served <= (4 << 20) + (1 << 20) + 512, "read \(zeros.served) bytes")  // the tar reader skips data 1 MiB at a time

        let within = Self.layer(files: 999)  // 1000 entries with the directory
        let counted = try limits.check(MemorySource(within), what: "layer z")
        #expect(counted.entries == 1_000 && counted.bytes == within.count)
    }

    /// A docker-archive of image hostile/many holding `layer` (its diff id `diffID`).
    static func archive(layer: [UInt8], diffID: String) throws -> [UInt8] {
        let config = #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:\#(diffID)"]}}"#
        let manifest = #"[{"Config":"config.json","RepoTags":["hostile/many:latest"],"Layers":["layer.tar"]}]"#
        var archive: [UInt8] = []
        let writer = TarEntryWriter { bytes throws(CoreError) in archive += bytes }
        for (name, data) in [("manifest.json", Array(manifest.utf8)), ("config.json", Array(config.utf8)), ("layer.tar", layer)] {
            try writer.append(TarEntry(.file, path: name, mode: 0o644, size: data.count), data: MemorySource(data))
        }
        try writer.finish()
        return archive
    }

    @Test func importerRefusesAnImageWithALayerOverTheLimit() throws {
        let dir = try Scratch()
        let layer = Self.layer(files: 50)  // 51 entries, 54 blocks
        try Data(layer).write(to: URL(fileURLWithPath: dir.path + "/layer.tar"))
        try dir.run("gzip -1 layer.tar")
        let diffID = SHA256.hex(layer)
        // Plain, as docker save writes layers, and gzip'd, as registries serve them.
        for (kind, bytes) in [("plain", layer), ("gzip", try dir.bytes("layer.tar.gz"))] {
            let archive = try Self.archive(layer: bytes, diffID: diffID)
            let store = try ContentStore(root: dir.path + "/content-" + kind)
            var importer = ImageImporter(store: store)
            importer.limits = LayerLimits(maxBytes: 1 << 30, maxEntries: 50)
            let refused = #expect(throws: CoreError.self, "\(kind)") { _ = try importer.importArchive(MemorySource(archive)) }
            #expect(refused?.code == .resourceExhausted, "\(kind): \(String(describing: refused))")
            #expect(refused?.message.contains("layer sha256:\(SHA256.hex(bytes)) of image docker.io/hostile/many:latest has more than 50 entries") == true,
                    "\(kind): \(String(describing: refused))")
            importer.limits = LayerLimits(maxBytes: 1 << 30, maxEntries: 51)
            #expect(try importer.importArchive(MemorySource(archive)).map(\.name) == ["docker.io/hostile/many:latest"], "\(kind)")
            importer.limits = nil
            #expect(try importer.importArchive(MemorySource(archive)).count == 1, "\(kind)")
        }
        // A plain tar is not read again when its size alone keeps it within the limits.
        let limits = LayerLimits(maxBytes: 1 << 20, maxEntries: 10)
        #expect(limits.admitsEveryTar(ofSize: 10 * 512 + 511) && !limits.admitsEveryTar(ofSize: 11 * 512))
        #expect(!LayerLimits(maxBytes: 4096, maxEntries: 100).admitsEveryTar(ofSize: 4097))
    }

    @Test func applierEnforcesTheSameLimitWhileExtracting() throws {
        let dir = try Scratch()
        try FileManager.default.createDirectory(atPath: dir.path + "/layer", withIntermediateDirectories: false)
        let limits = LayerLimits(maxBytes: 1 << 30, maxEntries: 20)
        let refused = #expect(throws: CoreError.self) {
            _ = try LayerApplier.apply(MemorySource(Self.layer(files: 30)), to: dir.path + "/layer", limits: limits, what: "layer w")
        }
        #expect(refused?.message == "layer w has more than 20 entries (the layer entry limit, --max-layer-entries): refused")
        // Refused at the 21st entry: the directory and 19 files were made, no more.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/layer/many").count == 19)
    }
}
