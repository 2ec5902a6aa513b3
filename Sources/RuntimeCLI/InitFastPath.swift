// InitFastPath: the container's init is started by berth-runtime itself with arguments it wrote
// (InitOptions.arguments), on every create and exec. Parsing those few flags by hand skips
// swift-argument-parser's start-up (measured: ~5 ms of CPU per process, most of it type-name
// lookups), which would otherwise be paid twice per container. Anything unexpected falls back to
// the full parser, which also serves `init --help`.
import RuntimeCore

extension RuntimeMain {
    /// The flags InitOptions.arguments writes; nil if anything else is there.
    static func parseInit(_ args: [String]) -> InitOptions? {
        var values: [String: String] = [:]
        var noPivot = false
        var newKeyring = false
        var i = 0
        while i < args.count {
            let flag = args[i]
            if flag == "--no-pivot" || flag == "--new-keyring" {
                if flag == "--no-pivot" { noPivot = true } else { newKeyring = true }
                i += 1
                continue
            }
            guard flag.hasPrefix("--"), i + 1 < args.count else { return nil }
            values[String(flag.dropFirst(2))] = args[i + 1]
            i += 2
        }
        let known: Set = ["sync-fd", "fifo-fd", "console-fd", "bundle", "preserve-fds", "id", "exec-target", "process", "seccomp-cache"]
        guard Set(values.keys).isSubset(of: known),
              let sync = values["sync-fd"].flatMap({ Int32($0) }), let fifo = values["fifo-fd"].flatMap({ Int32($0) }),
              let bundle = values["bundle"], let id = values["id"] else { return nil }
        var options = InitOptions(syncFD: sync, fifoFD: fifo, consoleFD: values["console-fd"].flatMap { Int32($0) },
                                  bundle: bundle, noPivot: noPivot,
                                  preserveFDs: values["preserve-fds"].flatMap { Int32($0) } ?? 0,
                                  containerID: id, newKeyring: newKeyring)
        options.execTarget = values["exec-target"].flatMap { Int32($0) }
        options.processFile = values["process"]
        options.seccompCache = values["seccomp-cache"]
        return options
    }
}
