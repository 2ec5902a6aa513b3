// LayerLimits: how big a layer may unpack to — its uncompressed tar stream in bytes and its
// number of entries — so a decompression bomb or a tar of millions of empty files is refused with
// a clear error part-way instead of filling the disk or the inode table. `check` reads a layer
// without writing anything (the importer runs it on every layer it imports: a hostile image is
// refused at load, in seconds, where unpacking it would create millions of files first);
// LayerApplier enforces the same limits again while it extracts. The defaults are sized for real
// images (the largest layers of ML images are a few tens of GiB and a few hundred thousand files);
// berth-supervisor's --max-layer-size / --max-layer-entries (or $BERTH_MAX_LAYER_SIZE /
// $BERTH_MAX_LAYER_ENTRIES, which reach it through berth-engine) set them.
import Archive
import Errdefs

public struct LayerLimits: Sendable, Equatable {
    /// Uncompressed bytes of the layer's tar stream.
    public var maxBytes: Int
    /// Tar entries (files, directories, links, whiteouts…).
    public var maxEntries: Int

    public static let defaultMaxBytes = 64 << 30
    public static let defaultMaxEntries = 4_000_000

    public init(maxBytes: Int = LayerLimits.defaultMaxBytes, maxEntries: Int = LayerLimits.defaultMaxEntries) {
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
    }

    /// The limits from the environment variables, else the defaults; a malformed value is an error.
    public static func fromEnvironment(_ environment: [String: String]) throws(CoreError) -> LayerLimits {
        func value(_ name: String, _ fallback: Int) throws(CoreError) -> Int {
            guard let text = environment[name], !text.isEmpty else { return fallback }
            guard let number = Int(text), number > 0 else { throw CoreError(.invalidArgument, "$\(name)=\(text) is not a positive number") }
            return number
        }
        return LayerLimits(maxBytes: try value("BERTH_MAX_LAYER_SIZE", defaultMaxBytes),
                           maxEntries: try value("BERTH_MAX_LAYER_ENTRIES", defaultMaxEntries))
    }

    /// Reads `layer` (gzip'd or not) to its end, writing nothing and keeping nothing but counts,
    /// and refuses it part-way as LayerApplier would: one entry or one byte over a limit.
    /// `what` names the layer in the error. Returns its entries and uncompressed bytes.
    public func check(_ layer: ByteSource, what: String) throws(CoreError) -> (entries: Int, bytes: Int) {
        let counted = LimitedSource(try GzipSource.maybe(layer), limit: maxBytes, what: what)
        let tar = TarReader(BufferedSource(counted))
        var entries = 0
        while try tar.next() != nil {
            entries += 1
            try checkEntries(entries, what: what)
        }
        while try !counted.read(upTo: 1 << 16).isEmpty {}  // the trailing blocks count as bytes too
        return (entries, counted.count)
    }

    /// Whether every plain tar of `size` bytes is within the limits: its bytes are the stream, and
    /// each entry takes a 512-byte header at least.
    public func admitsEveryTar(ofSize size: Int) -> Bool {
        size <= maxBytes && size / 512 <= maxEntries
    }

    /// Refuses the layer once `entries` is over the limit.
    func checkEntries(_ entries: Int, what: String) throws(CoreError) {
        guard entries <= maxEntries else {
            throw CoreError(.resourceExhausted, "\(what) has more than \(maxEntries) entries (the layer entry limit, --max-layer-entries): refused")
        }
    }
}

/// Counts a layer's uncompressed bytes as they stream past and refuses one byte over the limit.
final class LimitedSource: ByteSource {
    private let source: ByteSource
    private let limit: Int
    private let what: String
    private(set) var count = 0

    init(_ source: ByteSource, limit: Int, what: String) {
        self.source = source
        self.limit = limit
        self.what = what
    }

    func read(upTo wanted: Int) throws(CoreError) -> [UInt8] {
        let chunk = try source.read(upTo: wanted)
        count += chunk.count
        guard count <= limit else {
            throw CoreError(.resourceExhausted, "\(what) unpacks to more than \(limit) bytes (the layer size limit, --max-layer-size): refused")
        }
        return chunk
    }
}
