// FastPath: a hand-written parser for the verbs a shim runs on every container — create, start,
// run, state, kill, delete — with runc's global flags (--root, --log, --log-format, --debug,
// --systemd-cgroup). swift-argument-parser costs a static berth-runtime ~2 ms and ~2.5 MiB of
// resident memory per invocation (reflection over the command tree, type-name lookups), more than
// the rest of `state` or `start` together. The fast path takes only argument vectors it fully
// understands and returns nil for anything else — help, version, unknown or repeated flags, a
// value that looks like a flag, `--`, short-flag clusters, a wrong number of arguments — which
// then goes to the argument parser, so errors and help read as before. What it produces is the
// same HotCommand the parser's commands build (HotCommand.swift); FastPathTests check that both
// agree on every shape the fast path accepts.

/// A parsed hot verb with the global flags.
struct HotInvocation: Equatable {
    var global: GlobalSettings
    var command: HotCommand
}

extension RuntimeMain {
    /// The invocation for `args` (after the program name), or nil if the argument parser must handle them.
    static func parseHot(_ args: [String]) -> HotInvocation? {
        var parser = FastParser(args: args[...])
        return parser.parse()
    }
}

private struct FastParser {
    var args: ArraySlice<String>
    var global = GlobalSettings()
    /// Flags seen so far. An array, not a Set: a Set<String> makes the Swift runtime instantiate
    /// generic metadata by name, whose conformance check scans every conformance record in the
    /// binary — touching ~1 MiB of it — on a path that otherwise needs none.
    var seen: [String] = []

    /// One flag as written: its long name and the value given with `=`, if any.
    typealias Flag = (name: String, inline: String?)

    mutating func parse() -> HotInvocation? {
        while let arg = args.first, arg.hasPrefix("-") {
            args.removeFirst()
            guard let flag = Self.flag(arg, verb: nil), remember(flag), applyGlobal(flag) else { return nil }
        }
        guard let verb = args.popFirst() else { return nil }
        var create = CreateSettings()
        var detach = false, force = false, all = false
        var positionals: [String] = []
        while let arg = args.popFirst() {
            guard arg.hasPrefix("-") else { positionals.append(arg); continue }
            guard let flag = Self.flag(arg, verb: verb), remember(flag) else { return nil }
            switch (verb, flag.name) {
            case ("create", "bundle"), ("run", "bundle"):
                guard let text = value(flag) else { return nil }
                create.bundle = text
            case ("create", "console-socket"), ("run", "console-socket"):
                guard let text = value(flag) else { return nil }
                create.consoleSocket = text
            case ("create", "pid-file"), ("run", "pid-file"):
                guard let text = value(flag) else { return nil }
                create.pidFile = text
            case ("create", "preserve-fds"), ("run", "preserve-fds"):
                guard let text = value(flag), let count = Int32(text) else { return nil }
                create.preserveFDs = count
            case ("create", "no-pivot"), ("run", "no-pivot"):
                guard flag.inline == nil else { return nil }
                create.noPivot = true
            case ("create", "no-new-keyring"), ("run", "no-new-keyring"):
                guard flag.inline == nil else { return nil }
                create.noNewKeyring = true
            case ("run", "detach"), ("delete", "force"), ("kill", "all"):
                guard flag.inline == nil else { return nil }
                if verb == "run" { detach = true } else if verb == "delete" { force = true } else { all = true }
            default:
                guard applyGlobal(flag) else { return nil }  // the parser takes global flags after the verb too
            }
        }
        let command: HotCommand
        switch (verb, positionals.count) {
        case ("create", 1): command = .create(id: positionals[0], create)
        case ("run", 1): command = .run(id: positionals[0], create, detach: detach)
        case ("start", 1): command = .start(id: positionals[0])
        case ("state", 1): command = .state(id: positionals[0])
        case ("delete", 1): command = .delete(id: positionals[0], force: force)
        case ("kill", 1), ("kill", 2): command = .kill(id: positionals[0], signal: positionals.dropFirst().first ?? "SIGTERM", all: all)
        default: return nil
        }
        return HotInvocation(global: global, command: command)
    }

    /// `--name`, `--name=value`, or one of the verb's single-letter flags; nil for anything else.
    static func flag(_ arg: String, verb: String?) -> Flag? {
        if arg.hasPrefix("--") {
            let body = arg.dropFirst(2)
            guard let first = body.first, first != "-", first != "=" else { return nil }
            guard let equals = body.firstIndex(of: "=") else { return (String(body), nil) }
            return (String(body[..<equals]), String(body[body.index(after: equals)...]))
        }
        switch (verb, arg) {
        case ("create", "-b"), ("run", "-b"): return ("bundle", nil)
        case ("run", "-d"): return ("detach", nil)
        case ("delete", "-f"): return ("force", nil)
        case ("kill", "-a"): return ("all", nil)
        default: return nil
        }
    }

    /// False for a flag given twice (the parser's rules for repeats are left to the parser).
    mutating func remember(_ flag: Flag) -> Bool {
        guard !seen.contains(flag.name) else { return false }
        seen.append(flag.name)
        return true
    }

    /// The value of an option: after `=`, else the next argument, which must not look like a flag.
    mutating func value(_ flag: Flag) -> String? {
        if let inline = flag.inline { return inline.isEmpty ? nil : inline }
        guard let next = args.first, !next.hasPrefix("-") else { return nil }
        args.removeFirst()
        return next
    }

    mutating func applyGlobal(_ flag: Flag) -> Bool {
        switch flag.name {
        case "root":
            guard let text = value(flag) else { return false }
            global.root = text
        case "log":
            guard let text = value(flag) else { return false }
            global.log = text
        case "log-format":
            guard let text = value(flag), let format = LogFormat(rawValue: text) else { return false }
            global.logFormat = format
        case "debug", "systemd-cgroup":
            guard flag.inline == nil else { return false }
            if flag.name == "debug" { global.debug = true } else { global.systemdCgroup = true }
        default:
            return false
        }
        return true
    }
}
