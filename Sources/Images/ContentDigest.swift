// ContentDigest: an OCI content address, `sha256:<64 lower-case hex>` — parsed strictly, since a
// digest names a file in the content store and must never be able to name anything else.
import Errdefs

public struct ContentDigest: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let hex: String

    public init(hex: String) throws(CoreError) {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw CoreError(.invalidArgument, "digest sha256:\(hex) is not 64 lower-case hex digits")
        }
        self.hex = hex
    }

    /// Parses `sha256:<hex>`; other algorithms are refused.
    public init(parsing text: String) throws(CoreError) {
        guard text.hasPrefix("sha256:") else { throw CoreError(.invalidArgument, "digest \(text): only sha256 is supported") }
        try self.init(hex: String(text.dropFirst("sha256:".count)))
    }

    public var description: String { "sha256:\(hex)" }
    public static func < (a: ContentDigest, b: ContentDigest) -> Bool { a.hex < b.hex }
}
