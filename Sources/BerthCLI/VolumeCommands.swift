// VolumeCommands: `berth volume create|ls|inspect|rm|prune` (docker's volume commands and output:
// `ls` as DRIVER VOLUME NAME, inspect as docker's JSON array, prune's "Deleted Volumes:"
// summary), and MountJSON — a container's "Mounts" as docker's inspect shows them.
import API
import ArgumentParser
import Errdefs
import Foundation

struct VolumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "volume", abstract: "Manage volumes.",
                                                    subcommands: [VolumeCreateCommand.self, VolumeListCommand.self, VolumeInspectCommand.self,
                                                                  VolumeRemoveCommand.self, VolumePruneCommand.self])
}

struct VolumeCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume.")
    @Option(name: .shortAndLong, help: "Specify volume driver name.") var driver = "local"
    @Option(help: "Set metadata for a volume (key=value).") var label: [String] = []
    @Option(name: [.customShort("o"), .customLong("opt")], help: "Set driver specific options (key=value).") var opt: [String] = []
    @Option(help: "Specify volume name.") var name: String?
    @Argument var volumeName: String?

    func run() async throws {
        if let name, let volumeName, name != volumeName {
            throw CLIError(message: "berth: conflicting options: either specify --name or provide positional arg, not both", code: 1)
        }
        var request = Engine_CreateVolumeRequest()
        request.name = volumeName ?? name ?? ""
        request.driver = driver
        request.labels = try Self.pairs(label, flag: "--label")
        request.driverOpts = try Self.pairs(opt, flag: "--opt")
        let volume = try await withEngine { try await $0.client.createVolume(request) }
        print(volume.name)
    }

    static func pairs(_ items: [String], flag: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard let key = parts.first, !key.isEmpty else { throw CLIError(message: "berth: invalid \(flag) value: \(item)", code: 1) }
            result[key] = parts.count > 1 ? parts[1] : ""
        }
        return result
    }
}

struct VolumeListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes.", aliases: ["list"])
    @Flag(name: .shortAndLong, help: "Only display volume names.") var quiet = false
    @Option(name: .shortAndLong, help: "Provide filter values (e.g. dangling=true, label=k=v, name=x, driver=local).") var filter: [String] = []
    @Option(help: "Format output using a template, or json.") var format: String?

    func run() async throws {
        let filters = try parseFilters(filter)
        let response = try await withEngine { try await $0.client.listVolumes(filters: filters) }
        if quiet {
            for volume in response.volumes { print(volume.name) }
            return
        }
        let items: [[String: Any]] = response.volumes.map { volume in
            ["Driver": volume.driver, "Name": volume.name, "Mountpoint": volume.mountpoint, "Scope": volume.scope,
             "Labels": volume.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
             "Links": volume.usedBy.count, "Size": "N/A"]
        }
        try printFormatted(items, format: format, defaultTable: "table {{.Driver}}\t{{.Name}}",
                           headers: ["Driver": "DRIVER", "Name": "VOLUME NAME", "Mountpoint": "MOUNTPOINT", "Scope": "SCOPE",
                                     "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE"])
    }
}

struct VolumeInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more volumes.")
    @Option(name: [.customShort("f"), .long], help: "Format output using a template.") var format: String?
    @Argument var names: [String]

    func run() async throws {
        var objects: [[String: Any]] = []
        try await forEachContainer(names, echo: false) { connection, name in
            let volume = try await connection.client.inspectVolume(name)
            objects.append(Self.json(volume))
        }
        try printObjects(objects, format: format)
    }

    static func json(_ volume: Engine_Volume) -> [String: Any] {
        ["Name": volume.name, "Driver": volume.driver, "Mountpoint": volume.mountpoint, "CreatedAt": rfc3339(volume.createdAt.date),
         "Labels": volume.labels, "Options": volume.options, "Scope": volume.scope]
    }
}

struct VolumeRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more volumes.", aliases: ["remove"])
    @Flag(name: .shortAndLong, help: "Force the removal of one or more volumes (no error if missing).") var force = false
    @Argument var names: [String]

    func run() async throws {
        try await forEachContainer(names) { connection, name in try await connection.client.removeVolume(name, force: force) }
    }
}

struct VolumePruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused local volumes (anonymous ones; all with -a).")
    @Flag(name: .shortAndLong, help: "Remove all unused volumes, not just anonymous ones.") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false
    @Option(help: "Provide filter values (e.g. label=k=v).") var filter: [String] = []

    func run() async throws {
        let filters = try parseFilters(filter)
        let response = try await withEngine { try await $0.client.pruneVolumes(all: all, filters: filters) }
        if !response.deleted.isEmpty { print("Deleted Volumes:\n" + response.deleted.joined(separator: "\n") + "\n") }
        print("Total reclaimed space: \(humanSize(response.spaceReclaimed))")
    }
}

/// A container's mounts as docker's inspect shows them ("Mounts").
enum MountJSON {
    static func points(_ points: [Engine_MountPoint]) -> [[String: Any]] {
        points.map { point in
            var object: [String: Any] = ["Type": point.type, "Source": point.source, "Destination": point.destination,
                                         "Mode": point.mode, "RW": point.rw, "Propagation": point.propagation]
            if point.type == "volume" {
                object["Name"] = point.name
                object["Driver"] = point.driver
            }
            return object
        }
    }
}
