// JSONCoding: the one place OCI turns bytes into models and back, over the Foundation-free JSON
// module. Decoding failures become CoreError(.invalidArgument) whose message names the file and
// the dotted JSON path of the bad field ("config.json: process.user.uid has the wrong type ..."),
// because a runtime user sees only that message and must be able to find the field without a debugger.
import Errdefs
import JSON

enum JSONCoding {
    /// Decodes `T`, mapping any failure to `CoreError(.invalidArgument, "<file>: <path> ...")`.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], file: String) throws(CoreError) -> T {
        do {
            return try JSONCodec.decode(type, from: bytes)
        } catch {
            throw CoreError(.invalidArgument, "\(file): \(error.description)")
        }
    }

    /// Encodes `value`; `pretty` gives indented, key-sorted output like `runc spec` and `runc state`,
    /// otherwise compact with sorted keys.
    static func encode<T: Encodable>(_ value: T, pretty: Bool, what: String) throws(CoreError) -> [UInt8] {
        do {
            return try JSONCodec.encode(value, pretty ? .prettySorted : .compactSorted)
        } catch {
            throw CoreError(.internal, "\(what): cannot encode: \(error.description)")
        }
    }
}
