// SystemCommands: `stats`, `info`, `system df|prune|info|events`, `container prune`, `tag`,
// `history`, `image prune` and `save` — docker's output shapes.
import API
import ArgumentParser
import Errdefs
import Foundation
import SwiftProtobuf

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Display a live stream of container(s) resource usage statistics.")
    @Flag(name: .customLong("no-stream"), help: "Disable streaming stats and only pull the first result.") var noStream = false
    @Flag(name: .shortAndLong, help: "Show all containers (default shows just running).") var all = false
    @Option(help: "Format output using a template, or json.") var format: String?
    @Argument var containers: [String] = []

    static let headers = ["ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
                          "MemPerc": "MEM %", "PIDs": "PIDS", "Container": "CONTAINER"]

    func run() async throws {
        try await withEngine { connection in
            var names = containers
            if names.isEmpty { names = try await connection.client.list(all: all).map(\.id) }
            var previous: [String: (cpu: UInt64, at: Date)] = [:]  // the last sample per name given
            repeat {
                var items: [[String: Any]] = []
                for name in names {
                    var request = Engine_StatsRequest()
                    request.id = name
                    request.stream = true
                    // CPU % needs two samples: the first time round, a second one a second later.
                    let wanted = previous[name] == nil ? 2 : 1
                    var samples: [Engine_ContainerStats] = []
                    for try await stats in try await connection.rpc.stream(EngineAPI.containers, "Stats", request, returning: Engine_ContainerStats.self) {
                        samples.append(stats)
                        if samples.count == wanted || stats.pids == 0 { break }  // a stopped container's zeros
                    }
                    if samples.count == 2 { previous[name] = (samples[0].cpuTotalNs, samples[0].read.date) }
                    let sample = samples.last
                    guard let sample else { continue }
                    let now = sample.read.date
                    var cpu = 0.0
                    if let before = previous[name], now > before.at, sample.cpuTotalNs >= before.cpu {
                        cpu = Double(sample.cpuTotalNs - before.cpu) / (now.timeIntervalSince(before.at) * 1e9) * 100
                    }
                    previous[name] = (sample.cpuTotalNs, now)
                    let limit = sample.memoryLimit > 0 ? sample.memoryLimit : UInt64(ProcessInfo.processInfo.physicalMemory)
                    items.append(["ID": String(sample.id.prefix(12)), "Container": name, "Name": sample.name,
                                  "CPUPerc": String(format: "%.2f%%", cpu),
                                  "MemUsage": "\(binarySize(sample.memoryUsage)) / \(binarySize(limit))",
                                  "MemPerc": String(format: "%.2f%%", limit > 0 ? Double(sample.memoryUsage) / Double(limit) * 100 : 0),
                                  "PIDs": "\(sample.pids)"])
                }
                if !noStream { print("\u{1B}[2J\u{1B}[H", terminator: "") }
                try printFormatted(items, format: format, defaultTable: "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.PIDs}}",
                                   headers: Self.headers)
                if !noStream { try await Task.sleep(for: .seconds(1)) }
            } while !noStream
        }
    }
}

/// Docker's binary sizes for memory: "1.5MiB", "512KiB", "0B".
func binarySize(_ bytes: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var index = 0
    while value >= 1024 && index < units.count - 1 {
        value /= 1024
        index += 1
    }
    return index == 0 ? "\(bytes)B" : String(format: "%.4g", value) + units[index]
}

struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Display system-wide information.")
    @Option(name: [.customShort("f"), .long], help: "Format output using a template.") var format: String?

    func run() async throws {
        let info: Engine_InfoResponse = try await withEngine { try await $0.client.call(EngineAPI.engine, "Info", Google_Protobuf_Empty()) }
        let object: [String: Any] = [
            "Containers": Int(info.containers), "ContainersRunning": Int(info.containersRunning),
            "ContainersPaused": Int(info.containersPaused), "ContainersStopped": Int(info.containersStopped),
            "Images": Int(info.images), "ServerVersion": info.serverVersion, "Driver": info.storageDriver,
            "LoggingDriver": info.loggingDriver, "CgroupDriver": info.cgroupDriver, "CgroupVersion": info.cgroupVersion,
            "KernelVersion": info.kernelVersion, "OperatingSystem": info.operatingSystem, "Architecture": info.architecture,
            "NCPU": Int(info.ncpu), "MemTotal": Int(info.memTotal), "DockerRootDir": info.dataRoot, "Name": info.name,
            "SecurityOptions": info.securityOptions, "DefaultRuntime": info.defaultRuntime,
        ]
        if let format { return print(try Template(format).render(object)) }
        print("""
            Server:
             Containers: \(info.containers)
              Running: \(info.containersRunning)
              Paused: \(info.containersPaused)
              Stopped: \(info.containersStopped)
             Images: \(info.images)
             Server Version: \(info.serverVersion)
             Storage Driver: \(info.storageDriver)
             Logging Driver: \(info.loggingDriver)
             Cgroup Driver: \(info.cgroupDriver)
             Cgroup Version: \(info.cgroupVersion)
             Security Options:
              \(info.securityOptions.joined(separator: "\n  "))
             Default Runtime: \(info.defaultRuntime)
             Kernel Version: \(info.kernelVersion)
             Operating System: \(info.operatingSystem)
             Architecture: \(info.architecture)
             CPUs: \(info.ncpu)
             Total Memory: \(binarySize(UInt64(info.memTotal)))
             Name: \(info.name)
             Berth Root Dir: \(info.dataRoot)
            """)
    }
}

struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "system", abstract: "Manage berth.",
                                                    subcommands: [DiskUsageCommand.self, SystemPruneCommand.self, InfoCommand.self, EventsCommand.self])
}

struct DiskUsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show berth disk usage.")
    @Option(help: "Format output using a template, or json.") var format: String?

    func run() async throws {
        let usage: Engine_DiskUsageResponse = try await withEngine { try await $0.client.call(EngineAPI.engine, "DiskUsage", Google_Protobuf_Empty()) }
        let items: [[String: Any]] = usage.items.map { item in
            let percent = item.size > 0 ? " (\(Int(Double(item.reclaimable) / Double(item.size) * 100))%)" : ""
            return ["Type": item.type, "TotalCount": Int(item.total), "Active": Int(item.active),
                    "Size": humanSize(item.size), "Reclaimable": humanSize(item.reclaimable) + percent]
        }
        try printFormatted(items, format: format, defaultTable: "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
                           headers: ["Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"])
    }
}

/// Runs Containers/Prune or Images/Prune and prints docker's summary.
func prune(_ service: String, all: Bool, filters: [String], on connection: EngineConnection) async throws -> Int64 {
    var request = Engine_PruneRequest()
    request.all = all
    request.filters = try parseFilters(filters)
    let response: Engine_PruneResponse = try await connection.client.call(service, "Prune", request)
    if service == EngineAPI.containers, !response.deleted.isEmpty { print("Deleted Containers:\n" + response.deleted.joined(separator: "\n") + "\n") }
    if !response.untagged.isEmpty { print(response.untagged.map { "untagged: \($0)" }.joined(separator: "\n")) }
    if service == EngineAPI.images, !response.deleted.isEmpty { print(response.deleted.map { "deleted: \($0)" }.joined(separator: "\n")) }
    return response.spaceReclaimed
}

struct ContainerPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all stopped containers.")
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false
    @Option(help: "Provide filter values (e.g. label=k=v).") var filter: [String] = []

    func run() async throws {
        let space = try await withEngine { try await prune(EngineAPI.containers, all: false, filters: filter, on: $0) }
        print("Total reclaimed space: \(humanSize(space))")
    }
}

struct ImagePruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused images.")
    @Flag(name: .shortAndLong, help: "Remove all unused images, not just dangling ones.") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false

    func run() async throws {
        let space = try await withEngine { try await prune(EngineAPI.images, all: all, filters: [], on: $0) }
        print("Total reclaimed space: \(humanSize(space))")
    }
}

struct SystemPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused data (stopped containers, unused images with -a).")
    @Flag(name: .shortAndLong, help: "Remove all unused images not just dangling ones.") var all = false
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false

    func run() async throws {
        let space = try await withEngine { connection in
            try await prune(EngineAPI.containers, all: false, filters: [], on: connection)
                + prune(EngineAPI.images, all: all, filters: [], on: connection)
        }
        print("Total reclaimed space: \(humanSize(space))")
    }
}

struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.")
    @Argument var source: String
    @Argument var target: String

    func run() async throws {
        var request = Engine_TagImageRequest()
        request.source = source
        request.target = target
        try await forEachContainer([source], echo: false) { connection, _ in
            let _: Google_Protobuf_Empty = try await connection.client.call(EngineAPI.images, "Tag", request)
        }
    }
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the history of an image.")
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Only show image IDs.") var quiet = false
    @Option(help: "Format output using a template, or json.") var format: String?
    @Argument var image: String

    func run() async throws {
        var request = Engine_InspectImageRequest()
        request.name = image
        let history: Engine_ImageHistory = try await withEngine { try await $0.client.call(EngineAPI.images, "History", request) }
        if quiet { return history.entries.forEach { print(noTrunc || $0.id == "<missing>" ? $0.id : String($0.id.dropFirst(7).prefix(12))) } }
        let items: [[String: Any]] = history.entries.map { entry in
            var createdBy = entry.createdBy
            if !noTrunc && createdBy.count > 45 { createdBy = String(createdBy.prefix(44)) + "…" }
            return ["ID": noTrunc || entry.id == "<missing>" ? entry.id : String(entry.id.dropFirst(7).prefix(12)),
                    "CreatedSince": entry.hasCreated ? ago(entry.created.date) : "N/A", "CreatedBy": createdBy,
                    "Size": humanSize(entry.size), "Comment": entry.comment]
        }
        try printFormatted(items, format: format, defaultTable: "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
                           headers: ["ID": "IMAGE", "CreatedSince": "CREATED", "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"])
    }
}

struct SaveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save", abstract: "Save one or more images to a tar archive (streamed to STDOUT by default).")
    @Option(name: .shortAndLong, help: "Write to a file, instead of STDOUT.") var output: String?
    @Argument var images: [String]

    func run() async throws {
        if output == nil && isatty(1) != 0 {
            throw CLIError(message: "berth: cowardly refusing to save to a terminal. Use the -o flag or redirect", code: 1)
        }
        var request = Engine_SaveImagesRequest()
        request.names = images
        let path = output.map { $0 + ".tmp-\(getpid())" }
        if let path { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = path.map({ FileHandle(forWritingAtPath: $0) }) ?? FileHandle.standardOutput else {
            throw CLIError(message: "berth: cannot write \(output!)", code: 1)
        }
        do {
            try await withEngine { connection in
                for try await chunk in try await connection.rpc.stream(EngineAPI.images, "Save", request, returning: Engine_ArchiveChunk.self) {
                    try handle.write(contentsOf: chunk.data)
                }
            }
            if let path, let output {
                try handle.close()
                guard rename(path, output) == 0 else { throw CLIError(message: "berth: rename \(path) to \(output): errno \(errno)", code: 1) }
            }
        } catch {
            if let path { unlink(path) }
            throw error
        }
    }
}

struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "completion", abstract: "Generate the shell completion script for bash, zsh or fish.")
    @Argument(help: "bash, zsh or fish.") var shell: String

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw CLIError(message: "berth: unsupported shell \"\(shell)\" (bash, zsh, fish)", code: 1)
        }
        print(Berth.completionScript(for: kind))
    }
}
