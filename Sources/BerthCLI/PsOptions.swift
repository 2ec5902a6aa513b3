// PsOptions: what `berth ps` was asked for, and a hand-written parser for its usual command lines.
// `ps` is what people and scripts run while a machine is busy, and swift-argument-parser costs
// it more than the call itself: reflecting over the command tree makes the Swift runtime look up
// protocol conformances, each a scan of every conformance record in the binary (about a quarter
// of the CLI's CPU per `ps`). As with berth-runtime's FastPath, the hand parser takes only
// argument vectors it fully understands and returns nil for anything else — help, unknown or
// repeated flags, a value that looks like a flag, `--`, a bad number — which then goes to the
// argument parser, so errors and help read as before. PsCommand builds the same PsOptions;
// PsOptionsTests check that both agree on every shape the hand parser accepts.

struct PsOptions: Equatable {
    var all = false
    var quiet = false
    var filter: [String] = []
    var format: String?
    var noTrunc = false
    var last: Int32 = -1
    var latest = false

    /// The options for `ps ARGS` (the arguments after `ps`), or nil if the argument parser must
    /// handle them.
    static func parse(_ args: ArraySlice<String>) -> PsOptions? {
        var options = PsOptions()
        var args = args
        var seen: [String] = []  // an array, not a Set: see RuntimeCLI's FastPath
        /// False for a flag given twice, whose rules are left to the parser (`--filter` repeats).
        func first(_ name: String) -> Bool {
            if name == "filter" { return true }
            guard !seen.contains(name) else { return false }
            seen.append(name)
            return true
        }
        /// An option's value: after `=`, else the next argument, which must not look like a flag.
        func value(_ inline: String?) -> String? {
            if let inline { return inline.isEmpty ? nil : inline }
            guard let next = args.first, !next.hasPrefix("-") else { return nil }
            args.removeFirst()
            return next
        }
        while let arg = args.popFirst() {
            guard arg.hasPrefix("-"), arg != "-", arg != "--" else { return nil }  // ps takes no positionals
            if arg.hasPrefix("--") {
                let body = arg.dropFirst(2)
                let equals = body.firstIndex(of: "=")
                let name = String(body[..<(equals ?? body.endIndex)])
                let inline = equals.map { String(body[body.index(after: $0)...]) }
                guard first(name) else { return nil }
                switch name {
                case "all", "quiet", "no-trunc", "latest":
                    guard inline == nil else { return nil }
                    options.setFlag(name)
                case "filter":
                    guard let text = value(inline) else { return nil }
                    options.filter.append(text)
                case "format":
                    guard let text = value(inline) else { return nil }
                    options.format = text
                case "last":
                    guard let text = value(inline), let count = Int32(text) else { return nil }
                    options.last = count
                default:
                    return nil
                }
                continue
            }
            let letters = arg.dropFirst()
            if letters == "f" || letters == "n" {  // -f X, -n X
                guard first(letters == "f" ? "filter" : "last"), let text = value(nil) else { return nil }
                if letters == "f" { options.filter.append(text) } else {
                    guard let count = Int32(text) else { return nil }
                    options.last = count
                }
                continue
            }
            for letter in letters {  // -a, -q, -l, or a cluster of them (-aq)
                let name: String
                switch letter {
                case "a": name = "all"
                case "q": name = "quiet"
                case "l": name = "latest"
                default: return nil
                }
                guard first(name) else { return nil }
                options.setFlag(name)
            }
        }
        return options
    }

    private mutating func setFlag(_ name: String) {
        switch name {
        case "all": all = true
        case "quiet": quiet = true
        case "no-trunc": noTrunc = true
        case "latest": latest = true
        default: preconditionFailure("not a ps flag: \(name)")
        }
    }
}
