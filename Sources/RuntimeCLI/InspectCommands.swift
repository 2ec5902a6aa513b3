// The verbs that read or signal containers: state, list, kill, delete.
import ArgumentParser
import Errdefs
import JSON
import OCI
import RuntimeCore
#if canImport(Glibc)
import Glibc
#endif

struct State: HotVerb {
    static let configuration = CommandConfiguration(commandName: "state", abstract: "Print the OCI state of a container as JSON.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.") var id: String

    var hot: HotCommand { .state(id: id) }
    func run() throws { try runHot() }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List containers.", aliases: ["ps-all"])
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "table or json.") var format: ListFormat = .table
    @Flag(name: [.short, .long], help: "Print only the container ids.") var quiet = false

    enum ListFormat: String, ExpressibleByArgument { case table, json }

    func run() throws {
        let states = global.runtime.list()
        if quiet {
            for s in states { print(s.id) }
            return
        }
        switch format {
        case .json:
            let bytes = (try? JSONCodec.encode(states, .compactSorted)) ?? Array("[]".utf8)
            print(String(decoding: bytes, as: UTF8.self))
        case .table:
            var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
            for s in states {
                rows.append([s.id, String(s.status == .stopped ? 0 : (s.pid ?? 0)), s.status.rawValue, s.bundle,
                             s.created ?? "", (s.owner ?? "").isEmpty ? "root" : s.owner!])
            }
            let widths = (0..<6).map { c in rows.map { $0[c].count }.max() ?? 0 }
            for row in rows {
                print(row.enumerated().map { i, v in i == 5 ? v : v + String(repeating: " ", count: widths[i] - v.count + 4) }.joined())
            }
        }
    }
}

struct Kill: HotVerb {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal (default SIGTERM) to a container's init.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.short, .long], help: "Signal every process in the container.") var all = false
    @Argument(help: "The container id.") var id: String
    @Argument(help: "Signal name (KILL, SIGKILL) or number.") var signal: String = "SIGTERM"

    var hot: HotCommand { .kill(id: id, signal: signal, all: all) }
    func run() throws { try runHot() }
}

struct Delete: HotVerb {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a container and everything the runtime made for it.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.short, .long], help: "Kill the container first if it is running.") var force = false
    @Argument(help: "The container id.") var id: String

    var hot: HotCommand { .delete(id: id, force: force) }
    func run() throws { try runHot() }
}

struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spec", abstract: "Write a default config.json into the bundle.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Bundle directory to write config.json into.") var bundle: String = "."
    @Flag(help: "A spec for a container run by an unprivileged user.") var rootless = false

    func run() throws {
        try reporting(global) { () throws(CoreError) in
            let path = bundle + "/config.json"
            if access(path, F_OK) == 0 { throw CoreError(.alreadyExists, "File \(path) exists. Remove it first") }
            let data = try Spec.defaultSpec(rootless: rootless).encodedPretty()
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw CoreError(SystemCallFailure(call: "open", path: path, errno: errno)) }
            defer { close(fd) }
            let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n == data.count else { throw CoreError(SystemCallFailure(call: "write", path: path, errno: errno)) }
        }
    }
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Internal: the container's init (run by create).", shouldDisplay: false)
    @Option(name: .customLong("sync-fd")) var syncFD: Int32
    @Option(name: .customLong("fifo-fd")) var fifoFD: Int32
    @Option(name: .customLong("console-fd")) var consoleFD: Int32?
    @Option var bundle: String
    @Option(name: .customLong("preserve-fds")) var preserveFDs: Int32 = 0
    @Flag(name: .customLong("no-pivot")) var noPivot = false
    @Option var id: String
    @Flag(name: .customLong("new-keyring")) var newKeyring = false
    @Option(name: .customLong("exec-target")) var execTarget: Int32?
    @Option var process: String?
    @Option(name: .customLong("seccomp-cache")) var seccompCache: String?

    func run() throws {
        var options = InitOptions(syncFD: syncFD, fifoFD: fifoFD, consoleFD: consoleFD, bundle: bundle,
                                  noPivot: noPivot, preserveFDs: preserveFDs, containerID: id, newKeyring: newKeyring)
        options.execTarget = execTarget
        options.processFile = process
        options.seccompCache = seccompCache
        ContainerInit.run(options)
    }
}
