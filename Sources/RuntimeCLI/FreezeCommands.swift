// pause, resume, ps and features.
import ArgumentParser
import Errdefs
import RuntimeCore
#if canImport(Glibc)
import Glibc
#endif

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze every process of a container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.") var id: String
    func run() throws { try reporting(global) { () throws(CoreError) in try global.runtime.pause(id: id) } }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Thaw a paused container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.") var id: String
    func run() throws { try reporting(global) { () throws(CoreError) in try global.runtime.resume(id: id) } }
}

struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List the processes of a container.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "table or json (a list of pids, like runc).") var format: Format = .table
    @Argument(help: "The container id.") var id: String
    @Argument(parsing: .captureForPassthrough, help: "Options for ps(1) (table format).") var psArguments: [String] = []

    enum Format: String, ExpressibleByArgument { case table, json }

    func run() throws {
        try reporting(global) { () throws(CoreError) in
            let pids = try global.runtime.processes(id: id)
            if format == .json {
                print("[" + pids.map(String.init).joined(separator: ",") + "]")
                return
            }
            // Like runc: ps(1) for the whole machine, filtered to the container's pids.
            let table = PsTable.render(pids: Set(pids), arguments: psArguments.isEmpty ? ["-ef"] : psArguments)
            print(table, terminator: "")
        }
    }
}

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "features", abstract: "Print the features this runtime supports, as JSON.")
    func run() throws {
        print(FeaturesDocument.json)
    }
}
