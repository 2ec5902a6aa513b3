// JSONValue: a parsed JSON document as a tree. Numbers keep their text, so a 64-bit value such as
// 18446744073709551615 is never rounded through a Double and a decoder can tell an integer field
// given 0.5 from one given -1; objects keep their members in document order. The JSON module is
// Foundation-free on purpose: berth-runtime is a static binary whose start-up cost and resident
// memory grow with every library it links (docs/architecture.md, "Libraries").

/// A JSON value (RFC 8259).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number exactly as written (`-1`, `0.5`, `1e3`); always valid JSON number syntax.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document (or encoding) order; duplicate keys are kept as written.
    case object([JSONMember])

    /// The member value for `key` (the last one if the key is duplicated), nil if absent or not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The element at `index`, nil if out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

/// One `"key": value` of an object.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// One step of a path into a document: an object key or an array index.
public enum JSONPathStep: Sendable, Equatable {
    case key(String)
    case index(Int)

    /// `process.user.uid`, `linux.namespaces[2].type`; "" for the document itself.
    public static func dotted(_ path: [JSONPathStep]) -> String {
        var text = ""
        for step in path {
            switch step {
            case .index(let index): text += "[\(index)]"
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            }
        }
        return text
    }
}

/// Why a document could not be parsed, decoded or encoded. `description` is a one-line message that
/// starts with the dotted path of the field at fault, so a user can find it without a debugger.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not JSON at all (RFC 8259 syntax); `line` and `column` say where.
        case syntax
        /// A required key is absent (`path` ends with it).
        case missingKey
        /// `null` where a value is required.
        case null
        /// A value of another JSON type than the field's; `detail` names the expected one.
        case wrongType
        /// A number that does not fit the field's type (negative for unsigned, fractional for an integer…).
        case outOfRange
        /// A value the field's type rejected; `detail` says why ("\"foo\" is not a namespace type").
        case invalidValue
        /// A value that JSON cannot represent (a NaN, a non-string dictionary key…).
        case unencodable
    }

    public var kind: Kind
    /// Where in the document: empty for the document itself.
    public var path: [JSONPathStep]
    /// The phrase that follows the path (see `description`).
    public var detail: String
    /// 1-based line and column (in characters) of the value at fault, when known.
    public var line: Int?
    public var column: Int?

    public init(_ kind: Kind, path: [JSONPathStep] = [], _ detail: String) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }

    /// For a type's own `init(from:)`: the value is well-formed JSON of the right type but not one
    /// the type accepts. The decoder adds the path as the error propagates; the message reads
    /// "<path> <reason>".
    public static func invalidValue(_ reason: String) -> JSONError { JSONError(.invalidValue, reason) }

    /// The dotted path, or "the document".
    public var field: String { path.isEmpty ? "the document" : JSONPathStep.dotted(path) }

    public var description: String {
        let text: String
        switch kind {
        case .syntax:
            return "invalid JSON at line \(line ?? 0), column \(column ?? 0): \(detail)"
        case .missingKey: text = "\(field) is required"
        case .null: text = "\(field) must not be null"
        case .wrongType: text = "\(field) has the wrong type (expected \(detail))"
        case .outOfRange: text = "\(field) \(detail) is out of range for its type"
        case .invalidValue, .unencodable: text = "\(field) \(detail)"
        }
        guard let line, let column else { return text }
        return "\(text) (line \(line), column \(column))"
    }
}
