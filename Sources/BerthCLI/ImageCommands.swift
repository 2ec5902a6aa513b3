// ImageCommands: `images`, `load`, `rmi` and the `image` and `container` command groups (docker's
// management commands, e.g. `berth image ls`, `berth container ls`).
import API
import ArgumentParser
import Errdefs
import Foundation
import SwiftProtobuf

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images.", aliases: ["ls", "list"])
    @Flag(name: .shortAndLong, help: "Only show image IDs.") var quiet = false
    @Option(help: "Format output using a template, or json.") var format: String?
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Argument var reference: String?

    static let headers = ["Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "CreatedSince": "CREATED",
                          "CreatedAt": "CREATED AT", "Size": "SIZE", "Digest": "DIGEST", "Containers": "CONTAINERS"]

    func run() async throws {
        var request = Engine_ListImagesRequest()
        if let reference {
            var filter = Engine_Filter()
            filter.key = "reference"
            filter.value = reference
            request.filters = [filter]
        }
        let response: Engine_ListImagesResponse = try await withEngine { try await $0.client.call(EngineAPI.images, "List", request) }
        var items: [[String: Any]] = []
        for image in response.images {
            let id = noTrunc ? image.id : String(image.id.dropFirst("sha256:".count).prefix(12))
            for tag in image.repoTags.isEmpty ? ["<none>:<none>"] : image.repoTags {
                let split = tag.lastIndex(of: ":").map { (String(tag[..<$0]), String(tag[tag.index(after: $0)...])) } ?? (tag, "<none>")
                items.append(["Repository": split.0, "Tag": split.1, "ID": id, "CreatedSince": ago(image.created.date),
                              "CreatedAt": goTime(image.created.date), "Size": humanSize(image.size), "Digest": "<none>",
                              "Containers": image.containers < 0 ? "N/A" : "\(image.containers)"])
            }
        }
        if quiet {
            var seen = Set<String>()
            for item in items { if let id = item["ID"] as? String, seen.insert(id).inserted { print(id) } }
            return
        }
        try printFormatted(items, format: format, defaultTable: "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
                           headers: Self.headers)
    }
}

/// Docker's decimal sizes: "4.26MB", "1.2GB", "512B".
func humanSize(_ bytes: Int64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var index = 0
    while value >= 1000 && index < units.count - 1 {
        value /= 1000
        index += 1
    }
    let text = String(format: "%.3g", value)
    return text + units[index]
}

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load an image from a tar archive (docker save or OCI layout) or STDIN.")
    @Option(name: .shortAndLong, help: "Read from tar archive file, instead of STDIN.") var input: String?
    @Flag(name: .shortAndLong, help: "Suppress the load output.") var quiet = false

    func run() async throws {
        guard let handle = input.map({ FileHandle(forReadingAtPath: $0) }) ?? FileHandle.standardInput else {
            throw CLIError(message: "berth: open \(input ?? "-"): no such file or directory", code: 1)
        }
        if input == nil && isatty(0) != 0 {
            throw CLIError(message: "berth: requested load from stdin, but stdin is empty (use -i FILE or a pipe)", code: 1)
        }
        let response: Engine_LoadImagesResponse = try await withEngine { connection in
            let call = try await connection.rpc.clientStreaming(service: EngineAPI.images, method: "Load", timeout: nil)
            while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                var chunk = Engine_ArchiveChunk()
                chunk.data = data
                try await call.send(try chunk.serializedBytes())
            }
            return try Engine_LoadImagesResponse(serializedBytes: try await call.finish())
        }
        if !quiet { for name in response.loaded { print("Loaded image: \(name)") } }
    }
}

struct RemoveImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove one or more images.")
    @Flag(name: .shortAndLong, help: "Force removal of the image.") var force = false
    @Argument var images: [String]

    func run() async throws {
        try await forEachContainer(images, echo: false) { connection, name in
            var request = Engine_RemoveImageRequest()
            request.name = name
            request.force = force
            let response: Engine_RemoveImageResponse = try await connection.client.call(EngineAPI.images, "Remove", request)
            for item in response.items { print(item.untagged.isEmpty ? "Deleted: \(item.deleted)" : "Untagged: \(item.untagged)") }
        }
    }
}

struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images.",
        subcommands: [ImagesCommand.self, LoadCommand.self, RemoveImageCommand.self, ImageInspectCommand.self,
                      TagCommand.self, HistoryCommand.self, SaveCommand.self, ImagePruneCommand.self, ImportCommand.self])
}

struct ImageInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more images.")
    @Option(name: [.customShort("f"), .long], help: "Format output using a template.") var format: String?
    @Argument var names: [String]

    func run() async throws { try await inspect(names, format: format, kind: "image") }
}

struct ContainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers.",
        subcommands: [PsCommand.self, RunCommand.self, CreateCommand.self, StartCommand.self, StopCommand.self, KillCommand.self,
                      RestartCommand.self, RemoveCommand.self, WaitCommand.self, LogsCommand.self, ContainerInspectCommand.self,
                      ExecCommand.self, PauseCommand.self, UnpauseCommand.self, RenameCommand.self, TopCommand.self,
                      StatsCommand.self, ContainerPruneCommand.self, AttachCommand.self, CopyCommand.self, ExportCommand.self])
}

struct ContainerInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more containers.")
    @Option(name: [.customShort("f"), .long], help: "Format output using a template.") var format: String?
    @Argument var names: [String]

    func run() async throws { try await inspect(names, format: format, kind: "container") }
}
