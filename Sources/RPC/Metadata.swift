// Metadata: ttrpc request metadata (lower-cased keys, repeated values allowed), as containerd's
// `containerd-namespace-ttrpc` key travels.

/// Key/value pairs sent with a request. Keys are lower-cased; a key may repeat.
public struct Metadata: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [(key: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (k, v) in elements { append(k, v) }
    }
    init(wire: [TTRPC_KeyValue]) {
        for kv in wire { append(kv.key, kv.value) }
    }

    public mutating func append(_ key: String, _ value: String) {
        pairs.append((key.lowercased(), value))
    }

    /// All values of a key, in order.
    public func values(_ key: String) -> [String] {
        let k = key.lowercased()
        return pairs.filter { $0.key == k }.map(\.value)
    }

    /// The first value of a key.
    public subscript(_ key: String) -> String? { values(key).first }

    var wire: [TTRPC_KeyValue] {
        pairs.map { pair in
            var kv = TTRPC_KeyValue()
            kv.key = pair.key
            kv.value = pair.value
            return kv
        }
    }

    public static func == (a: Metadata, b: Metadata) -> Bool {
        a.pairs.map(\.key) == b.pairs.map(\.key) && a.pairs.map(\.value) == b.pairs.map(\.value)
    }

    /// containerd's namespace key on every call it makes to a shim.
    public static let namespaceKey = "containerd-namespace-ttrpc"
}
