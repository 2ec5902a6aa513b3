// LayerApplier: extracts a layer tar (gzip'd or not) into a directory that becomes an overlayfs
// layer, confined to that directory whatever the archive says (ConfinedExtractor: names cleaned,
// ".." refused, no symlink ever followed — even one the same archive made). Whiteouts become
// overlayfs's own: `.wh.NAME` a 0/0 character device NAME, `.wh..wh..opq` the
// `trusted.overlay.opaque` attribute on its directory. Owners, modes, times and pax xattrs are
// kept. A layer larger than its LayerLimits (bytes or entries) is refused part-way. Returns the
// diff id (sha256 of the uncompressed stream).
import Archive
import Digest
import Errdefs
import Glibc
import Sys

public enum LayerApplier {
    /// `what` names the layer in errors (its digest).
    public static func apply(_ layer: ByteSource, to directory: String, limits: LayerLimits = LayerLimits(),
                             what: String = "layer") throws(CoreError) -> ContentDigest {
        let hashing = HashingSource(LimitedSource(try GzipSource.maybe(layer), limit: limits.maxBytes, what: what))
        let root = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard root >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: directory, errno: errno)) }
        defer { close(root) }
        var options = ExtractionOptions()
        options.whiteouts = true
        let extractor = ConfinedExtractor(root: root, options: options)
        let tar = TarReader(BufferedSource(hashing))
        var entries = 0
        while let entry = try tar.next() {
            entries += 1
            try limits.checkEntries(entries, what: what)
            try extractor.extract(entry, from: tar)
        }
        extractor.finish()
        // The rest of the stream (tar's trailing blocks) belongs to the diff id too.
        while try !hashing.read(upTo: 1 << 16).isEmpty {}
        return try ContentDigest(hex: hashing.hasher.hexDigest())
    }
}

/// Passes bytes through while hashing them (a layer's diff id is the hash of its tar stream).
final class HashingSource: ByteSource {
    private let source: ByteSource
    var hasher = SHA256()
    init(_ source: ByteSource) { self.source = source }

    func read(upTo count: Int) throws(CoreError) -> [UInt8] {
        let chunk = try source.read(upTo: count)
        hasher.update(chunk)
        return chunk
    }
}
