// JSONCoding: the one place OCI turns bytes into models and back. Decoding failures become
// CoreError(.invalidArgument) whose message names the file and the dotted JSON path of the bad
// field ("config.json: process.user.uid has the wrong type ..."), because a runtime user sees
// only that message and must be able to find the field without a debugger.
import Errdefs
import FoundationEssentials

/// Marks a DecodingError raised by OCI's own decoders: its debugDescription is a phrase that reads
/// after the field path ("\"foo\" is not a namespace type").
struct FieldProblem: Error {}

enum JSONCoding {
    /// Decodes `T`, mapping any failure to `CoreError(.invalidArgument, "<file>: <path> ...")`.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws(CoreError) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            if isPathless(error), let explained = JSONLocator.explain(data, stillFails: { probe in
                do { _ = try JSONDecoder().decode(type, from: probe) } catch let again as DecodingError {
                    return isPathless(again)
                } catch { return false }
                return false
            }) {
                throw CoreError(.invalidArgument, "\(file): \(explained)")
            }
            throw CoreError(.invalidArgument, "\(file): \(describe(error))")
        } catch {
            throw CoreError(.invalidArgument, "\(file): \(error)")
        }
    }

    /// Encodes `value`; `pretty` gives indented, key-sorted output like `runc spec` and `runc state`.
    static func encode<T: Encodable>(_ value: T, pretty: Bool, what: String) throws(CoreError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty
            ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw CoreError(.internal, "\(what): cannot encode: \(error)")
        }
    }

    /// swift-foundation's "not valid JSON" failure, which carries neither path nor position.
    private static func isPathless(_ error: DecodingError) -> Bool {
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty { return true }
        return false
    }

    /// A dotted path for a coding path: `process.user.uid`, `linux.namespaces[2].type`.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    /// A one-line description of a decoding failure that starts with the field's path.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is required"
        case .valueNotFound(_, let context):
            return "\(name(context.codingPath)) must not be null"
        case .typeMismatch(let type, let context):
            return "\(name(context.codingPath)) has the wrong type (expected \(typeName(type)))"
        case .dataCorrupted(let context):
            if context.underlyingError is FieldProblem {
                return "\(name(context.codingPath)) \(context.debugDescription)"
            }
            var text = context.codingPath.isEmpty
                ? "invalid JSON: \(context.debugDescription)"
                : "\(path(context.codingPath)): \(context.debugDescription)"
            if let underlying = context.underlyingError { text += " (\(underlying))" }
            return text
        @unknown default:
            return "\(error)"
        }
    }

    private static func name(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "the document" : path(codingPath)
    }

    /// JSON-flavoured names for the Swift types the models use.
    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int32.Type, is Int64.Type: "an integer"
        case is UInt.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type: "a non-negative integer"
        case is [String: Any].Type: "an object"
        case is [Any].Type: "an array"
        default: "\(type)"
        }
    }
}
