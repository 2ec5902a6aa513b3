// PsCommand: `berth ps` — docker's table (CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS,
// NAMES; PORTS as docker shows them, PortsColumn), -a, -q, -n/--last, -l/--latest, --filter, --format
// ({{.Ports}}, {{.Networks}} among them), --no-trunc. The usual command lines skip the argument
// parser (PsOptions.parse, called from BerthMain); both run PsOptions.run.
import API
import ArgumentParser
import Foundation

struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List containers.")
    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running).") var all = false
    @Flag(name: .shortAndLong, help: "Only display container IDs.") var quiet = false
    @Option(name: [.customShort("f"), .long], help: "Filter output based on conditions provided (key=value).") var filter: [String] = []
    @Option(help: "Format output using a template, or json.") var format: String?
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Option(name: [.customShort("n"), .long], help: "Show n last created containers (includes all states).") var last: Int32 = -1
    @Flag(name: [.customShort("l"), .long], help: "Show the latest created container (includes all states).") var latest = false

    var options: PsOptions {
        PsOptions(all: all, quiet: quiet, filter: filter, format: format, noTrunc: noTrunc, last: last, latest: latest)
    }

    func run() throws { try options.run() }
}

extension PsOptions {
    static let headers = ["ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
                          "RunningFor": "CREATED", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES", "State": "STATE",
                          "Labels": "LABELS", "Size": "SIZE", "Mounts": "MOUNTS", "Networks": "NETWORKS"]

    func run() throws {  // one call, on this thread (EngineCall)
        var request = Engine_ListContainersRequest()
        request.all = all || latest || last > 0
        request.limit = latest ? 1 : max(last, 0)
        request.filters = try parseFilters(filter)
        let containers: Engine_ListContainersResponse = try EngineCall.unary(EngineAPI.containers, "List", request)
        if quiet {
            for container in containers.containers { print(noTrunc ? container.id : String(container.id.prefix(12))) }
            return
        }
        let items = containers.containers.map { item(for: $0) }
        try printFormatted(items, format: format,
                           defaultTable: "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
                           headers: Self.headers)
    }

    func item(for container: Engine_ContainerSummary) -> [String: Any] {
        var command = container.command
        if !noTrunc && command.count > 20 { command = String(command.prefix(19)) + "…" }
        return [
            "ID": noTrunc ? container.id : String(container.id.prefix(12)),
            "Image": container.image,
            "Command": "\"\(command)\"",
            "CreatedAt": goTime(container.created.date),
            "RunningFor": ago(container.created.date),
            "Status": container.status,
            "State": container.state.dockerName,
            "Ports": PortsColumn.text(container.ports),
            "Names": container.names.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }.joined(separator: ","),
            "Labels": container.labels.keys.sorted().map { "\($0)=\(container.labels[$0]!)" }.joined(separator: ","),
            "Size": "0B",
            "Mounts": "",
            "Networks": container.networks.joined(separator: ","),
        ]
    }
}

/// `--filter key=value` terms.
func parseFilters(_ items: [String]) throws -> [Engine_Filter] {
    try items.map { item in
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw CLIError(message: "berth: bad format of filter (expected name=value)", code: 125) }
        var term = Engine_Filter()
        term.key = parts[0]
        term.value = parts[1]
        return term
    }
}
