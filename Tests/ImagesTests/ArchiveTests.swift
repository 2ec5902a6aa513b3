// ArchiveTests: the tar reader on archives GNU tar made (long names, pax headers, links,
// directories), gzip through zlib (and plain input passed through), buffered reads of any size,
// refusal of corrupt input, and the incremental SHA-256 against known vectors and one-shot digests.
import Archive
import Digest
import Errdefs
import Foundation
import TestSupport
import Testing

/// A scratch directory, removed afterwards; `run` runs a command line in it.
final class Scratch {
    let path = NSTemporaryDirectory() + "berth-images-" + UUID().uuidString
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func run(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: path)
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CoreError(.internal, "\(command) exited \(process.terminationStatus)") }
    }

    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(path)/\(name)"))) }
}

@Suite(.offPool) struct ArchiveTests {
    @Test func readsWhatGNUTarWrites() throws {
        let dir = try Scratch()
        let long = String(repeating: "d", count: 120)
        try dir.run("mkdir -p src/\(long) && printf 'hello' > src/\(long)/f.txt && ln -s f.txt src/\(long)/link && "
                    + "ln src/\(long)/f.txt src/hard && mkfifo src/pipe && "
                    + "tar --format=gnu -C src -cf gnu.tar . && tar --format=pax -C src -cf pax.tar .")
        for name in ["gnu.tar", "pax.tar"] {
            let reader = TarReader(MemorySource(try dir.bytes(name)))
            var seen: [String: TarEntry] = [:]
            var data: [String: String] = [:]
            while let entry = try reader.next() {
                seen[entry.path] = entry
                if entry.kind == .file { data[entry.path] = String(decoding: try reader.readAllData(), as: UTF8.self) }
            }
            #expect(seen["./\(long)/"]?.kind == .directory, "\(name)")
            #expect(data["./\(long)/f.txt"] == "hello", "\(name)")
            #expect(seen["./\(long)/link"]?.kind == .symbolicLink && seen["./\(long)/link"]?.linkTarget == "f.txt", "\(name)")
            #expect(seen["./pipe"]?.kind == .fifo, "\(name)")
            // One of the two names is stored as a hard link to the other.
            let pair = [seen["./hard"], seen["./\(long)/f.txt"]].compactMap { $0 }
            #expect(pair.count == 2 && pair.contains { $0.kind == .hardLink && ["./hard", "./\(long)/f.txt"].contains($0.linkTarget) }, "\(name)")
        }
    }

    @Test func gzipIsDetectedAndPlainInputPassesThrough() throws {
        let dir = try Scratch()
        try dir.run("head -c 300000 /dev/urandom > blob && gzip -k -9 blob")
        let plain = try dir.bytes("blob")
        let viaGzip = try GzipSource.maybe(MemorySource(try dir.bytes("blob.gz")))
        #expect(try viaGzip.readExactly(plain.count, what: "test") == plain)
        #expect(try viaGzip.read(upTo: 10).isEmpty)
        let passed = try GzipSource.maybe(MemorySource(plain))
        #expect(try passed.readExactly(plain.count, what: "test") == plain)

        var corrupt = try dir.bytes("blob.gz")
        corrupt[corrupt.count / 2] ^= 0xFF
        let broken = try GzipSource.maybe(MemorySource(corrupt))
        let error = #expect(throws: CoreError.self) { while try !broken.read(upTo: 1 << 20).isEmpty {} }
        #expect(error?.code == .dataLoss)
        let truncated = try GzipSource.maybe(MemorySource(Array(try dir.bytes("blob.gz").prefix(1000))))
        #expect(throws: CoreError.self) { while try !truncated.read(upTo: 1 << 20).isEmpty {} }
    }

    @Test func bufferedReadsGiveTheSameBytesInAnySizes() throws {
        let dir = try Scratch()
        try dir.run("head -c 300000 /dev/urandom > blob && gzip -k -1 blob")
        let plain = try dir.bytes("blob")
        // Small reads (a tar's headers) and large ones, over plain and gzip'd input; the gzip
        // source itself read in 512-byte steps (its input is not shifted after each one).
        let sizes = [512, 1, 7, 65_536, 100_000, 3, 512, 1 << 20]
        for (name, source) in [("plain", MemorySource(plain) as ByteSource), ("gzip", try GzipSource.maybe(MemorySource(try dir.bytes("blob.gz"))))] {
            let buffered = BufferedSource(source, size: 4096)
            var out: [UInt8] = []
            var step = 0
            while true {
                let wanted = sizes[step % sizes.count]
                let chunk = try buffered.read(upTo: wanted)
                if chunk.isEmpty { break }
                // Fewer bytes than asked only at the end.
                #expect(chunk.count == wanted || out.count + chunk.count == plain.count, "\(name): \(chunk.count) of \(wanted)")
                out += chunk
                step += 1
            }
            #expect(out == plain, "\(name)")
        }
        let gzip = try GzipSource.maybe(MemorySource(try dir.bytes("blob.gz")))
        var unbuffered: [UInt8] = []
        while case let chunk = try gzip.read(upTo: 512), !chunk.isEmpty { unbuffered += chunk }
        #expect(unbuffered == plain)
    }

    @Test func aCorruptHeaderIsRefused() throws {
        var bytes = [UInt8](repeating: 0, count: 1024)
        bytes.replaceSubrange(0..<5, with: Array("hello".utf8))
        let error = #expect(throws: CoreError.self) { _ = try TarReader(MemorySource(bytes)).next() }
        #expect(error?.message.contains("checksum") == true)
    }

    @Test func sha256IsIncrementalAndMatchesKnownVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let message = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for chunk in [1, 3, 63, 64, 65, 1000, 10_000] {
            var hasher = SHA256()
            var offset = 0
            while offset < message.count {
                hasher.update(message[offset..<min(offset + chunk, message.count)])
                offset += chunk
            }
            #expect(hasher.hexDigest() == SHA256.hex(message), "chunks of \(chunk)")
            #expect(hasher.count == 10_000)
        }
    }
}
