// ImagesCommand: `berth-ctr images import|ls|rm` (alias `i`). Import streams the archive to the
// supervisor in 1 MiB chunks (ttrpc frames stay under their 4 MiB limit).
import API
import ArgumentParser
import Foundation
import RPC
import RPCNIO
import SwiftProtobuf

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "Manage images.",
        subcommands: [Import.self, Export.self, List.self, Inspect.self, Remove.self], aliases: ["i", "image"])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import an OCI image layout or docker-archive tar (gzip'd or not); - reads stdin.")
        @OptionGroup var global: GlobalOptions
        @Argument var file: String

        func run() async throws {
            let (client, rpc) = try await global.connect()
            defer { Task { await rpc.close() } }
            guard let handle = file == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: file) else {
                throw ValidationError("cannot open \(file)")
            }
            let call = try await rpc.clientStreaming(service: SupervisorAPI.images, method: "Import", timeout: nil,
                                                     metadata: [Metadata.namespaceKey: client.namespace])
            while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                var chunk = Supervisor_ImportChunk()
                chunk.data = data
                try await call.send(try chunk.serializedBytes())
            }
            let response = try Supervisor_ImportResponse(serializedBytes: try await call.finish())
            for image in response.images { Table.print("\(image.name)\t\(image.target.digest)\n") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @Option var format: OutputFormat = .table
        @Flag(name: .short, help: "Print only the names.") var quiet = false

        func run() async throws {
            let images: [Supervisor_Image] = try await withClient(global) { client in
                let response: Supervisor_ListImagesResponse = try await client.call(SupervisorAPI.images, "List", Supervisor_ListImagesRequest())
                return response.images
            }
            if format == .json { return Table.print(try Table.json(images)) }
            if quiet { return Table.print(images.map { $0.name + "\n" }.joined()) }
            Table.print(Table.render(["REF", "TYPE", "DIGEST", "SIZE"], images.map {
                [$0.name, $0.target.mediaType, $0.target.digest, "\($0.target.size) B"]
            }))
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an image's record and config (JSON).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() async throws {
            var request = Supervisor_GetImageRequest()
            request.name = name
            let response: Supervisor_GetImageResponse = try await withClient(global) { try await $0.call(SupervisorAPI.images, "Get", request) }
            let object: [String: Any] = [
                "name": response.image.name,
                "target": ["mediaType": response.image.target.mediaType, "digest": response.image.target.digest, "size": response.image.target.size],
                "config": (try? JSONSerialization.jsonObject(with: response.config)) ?? NSNull(),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            Table.print(String(decoding: data, as: UTF8.self) + "\n")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove images.", aliases: ["remove", "delete"])
        @OptionGroup var global: GlobalOptions
        @Argument var names: [String]

        func run() async throws {
            try await withClient(global) { client in
                for name in names {
                    var request = Supervisor_DeleteImageRequest()
                    request.name = name
                    let _: Google_Protobuf_Empty = try await client.call(SupervisorAPI.images, "Delete", request)
                    Table.print(name + "\n")
                }
            }
        }
    }
}

extension ImagesCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export images as an OCI image layout tar (- writes stdout).")
        @OptionGroup var global: GlobalOptions
        @Argument var file: String
        @Argument var names: [String]

        func run() async throws {
            let (client, rpc) = try await global.connect()
            defer { Task { await rpc.close() } }
            var request = Supervisor_ExportRequest()
            request.names = names
            let stream = try await rpc.stream(SupervisorAPI.images, "Export", request, returning: Supervisor_ExportChunk.self,
                                              metadata: [Metadata.namespaceKey: client.namespace])
            let output: FileHandle
            if file == "-" { output = .standardOutput } else {
                guard FileManager.default.createFile(atPath: file, contents: nil), let handle = FileHandle(forWritingAtPath: file) else {
                    throw ValidationError("cannot create \(file)")
                }
                output = handle
            }
            for try await chunk in stream { try output.write(contentsOf: chunk.data) }
            if file != "-" { try output.close() }
        }
    }
}
