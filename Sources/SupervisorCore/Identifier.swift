// Identifier: containerd's rule for namespace, container and exec ids — alphanumeric words
// joined by single '.', '_' or '-', at most 76 characters — so an id is always a safe file name.
import Errdefs

public enum Identifier {
    public static let maxLength = 76

    /// Throws InvalidArgument naming the bad value unless `value` is a valid identifier.
    public static func validate(_ value: String, what: String) throws(CoreError) {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty else { throw CoreError(.invalidArgument, "\(what) must not be empty") }
        guard bytes.count <= maxLength else {
            throw CoreError(.invalidArgument, "\(what) \"\(value)\" is longer than \(maxLength) characters")
        }
        var previousWasSeparator = true  // a separator may not come first
        for byte in bytes {
            let alphanumeric = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if alphanumeric {
                previousWasSeparator = false
            } else if (byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")) && !previousWasSeparator {
                previousWasSeparator = true
            } else {
                throw CoreError(.invalidArgument, "\(what) \"\(value)\" must be alphanumeric words joined by single '.', '_' or '-'")
            }
        }
        guard !previousWasSeparator else {
            throw CoreError(.invalidArgument, "\(what) \"\(value)\" must not end with a separator")
        }
    }
}
