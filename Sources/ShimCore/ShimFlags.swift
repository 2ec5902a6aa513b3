// ShimFlags: berth-shim's command line, parsed the way Go's flag package parses containerd's
// shim flags: `-name value`, `-name=value`, `--name value`, booleans as `-debug` or
// `-debug=true`, flags stop at the first non-flag word (the action: start, delete) or at `--`.
// Unknown flags are errors, as in Go, except those containerd added later and the shim may
// ignore (listed in `ignoredValueFlags`).
import Errdefs

public struct ShimFlags: Sendable, Equatable {
    public var namespace = ""
    public var id = ""
    public var address = ""
    public var publishBinary = ""
    public var bundle = ""
    public var socket = ""
    public var debug = false
    public var version = false
    public var info = false
    /// The first word after the flags: "start", "delete", or empty for the daemon.
    public var action = ""

    public init() {}

    static let valueFlags: Set<String> = ["namespace", "id", "address", "publish-binary", "bundle", "socket"]
    static let boolFlags: Set<String> = ["debug", "v", "version", "info"]
    /// Flags newer containerd versions pass that the shim accepts and does not use.
    static let ignoredValueFlags: Set<String> = ["debug-socket", "ttrpc-address", "grpc-address"]

    public init(parsing arguments: [String]) throws(CoreError) {
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if word == "--" { break }
            guard word.hasPrefix("-"), word != "-" else {
                action = word
                break
            }
            var name = Substring(word.dropFirst(word.hasPrefix("--") ? 2 : 1))
            var inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = name[..<equals]
            }
            let flag = String(name)
            if Self.boolFlags.contains(flag) {
                let value: Bool
                switch inline {
                case nil, "true", "1", "t", "T", "TRUE", "True": value = true
                case "false", "0", "f", "F", "FALSE", "False": value = false
                default: throw CoreError(.invalidArgument, "invalid boolean value \"\(inline!)\" for flag -\(flag)")
                }
                switch flag {
                case "debug": debug = value
                case "info": info = value
                default: version = value
                }
                continue
            }
            guard Self.valueFlags.contains(flag) || Self.ignoredValueFlags.contains(flag) else {
                throw CoreError(.invalidArgument, "flag provided but not defined: -\(flag)")
            }
            let value: String
            if let inline {
                value = inline
            } else {
                guard index < arguments.count else { throw CoreError(.invalidArgument, "flag needs an argument: -\(flag)") }
                value = arguments[index]
                index += 1
            }
            switch flag {
            case "namespace": namespace = value
            case "id": id = value
            case "address": address = value
            case "publish-binary": publishBinary = value
            case "bundle": bundle = value
            case "socket": socket = value
            default: continue
            }
        }
    }

    /// The flags again, as the daemon is started with them (without the action).
    public var daemonArguments: [String] {
        var out = ["-namespace", namespace, "-id", id, "-address", address]
        if !publishBinary.isEmpty { out += ["-publish-binary", publishBinary] }
        if !bundle.isEmpty { out += ["-bundle", bundle] }
        if !socket.isEmpty { out += ["-socket", socket] }
        if debug { out.append("-debug") }
        return out
    }
}
