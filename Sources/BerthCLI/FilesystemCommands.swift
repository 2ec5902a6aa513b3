// FilesystemCommands: `cp`, `export` and `import` — docker's commands over the engine's CopyFrom,
// CopyTo, Export and Images.Import streams. `cp` takes CONTAINER:PATH on one side and a local
// path (or "-" for a tar on stdin/stdout) on the other; the local half is HostCopy's. Archives
// move in 1 MiB chunks (ttrpc frames are capped at 4 MiB).
import API
import ArgumentParser
import Archive
import Errdefs
import Foundation
import Glibc
import Images
import SwiftProtobuf

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy files/folders between a container and the local filesystem.",
        discussion: "berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\nberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n"
            + "Use '-' as the source to read a tar archive from stdin and extract it to a directory destination in a container; "
            + "use '-' as the destination to stream a tar archive of a container source to stdout.")
    @Flag(name: [.customShort("L"), .customLong("follow-link")], help: "Always follow symbol link in SRC_PATH.") var followLink = false
    @Flag(name: .shortAndLong, help: "Archive mode (copy all uid/gid information).") var archive = false
    @Flag(name: .shortAndLong, help: "Suppress progress output during copy.") var quiet = false
    @Argument var source: String
    @Argument var destination: String

    /// docker's rule: an absolute path is local; else CONTAINER:PATH unless there is no ":" or
    /// the part before it starts with "." (a relative local path).
    static func split(_ argument: String) -> (container: String?, path: String) {
        guard !argument.hasPrefix("/"), let colon = argument.firstIndex(of: ":") else { return (nil, argument) }
        let container = String(argument[..<colon])
        if container.isEmpty || container.hasPrefix(".") { return (nil, argument) }
        return (container, String(argument[argument.index(after: colon)...]))
    }

    func run() async throws {
        let from = Self.split(source), to = Self.split(destination)
        switch (from.container, to.container) {
        case (nil, nil): throw CLIError(message: "berth: must specify at least one container source", code: 1)
        case (.some, .some): throw CLIError(message: "berth: copying between containers is not supported", code: 1)
        case (let container?, nil):
            if followLink { throw CLIError(message: "berth: cp -L with a container source is not supported yet", code: 1) }
            try await copyFrom(container, Self.containerPath(from.path), to: to.path)
        case (nil, let container?):
            if archive { throw CLIError(message: "berth: cp -a (keeping uid/gid in the container) is not supported yet", code: 1) }
            try await copyTo(container, Self.containerPath(to.path), from: from.path)
        }
    }

    /// Container paths are relative to its "/".
    static func containerPath(_ path: String) -> String {
        path.hasPrefix("/") ? path : "/" + path
    }

    private func copyFrom(_ container: String, _ path: String, to local: String) async throws {
        var request = Engine_CopyFromRequest()
        request.id = container
        request.path = path
        var copied = 0
        try await withEngine { connection in
            let stream = try await connection.rpc.stream(EngineAPI.containers, "CopyFrom", request, returning: Engine_ArchiveChunk.self)
            if local == "-" {
                for try await chunk in stream { try writeStandardOutput(chunk.data) }
                return
            }
            let input = try InboundChunks(spoolDirectory: ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")
            let work = Task { try await runOnThread("cp") { defer { input.close() }; try HostCopy.extract(to: local, from: input) } }
            do {
                for try await chunk in stream {
                    copied += chunk.data.count
                    if !input.put(chunk.data) { break }
                }
                input.end()
            } catch {
                input.close()
                _ = try? await work.value
                throw error
            }
            try await work.value
        }
        report(copied, local)
    }

    private func copyTo(_ container: String, _ path: String, from local: String) async throws {
        if local == "-" && isatty(0) != 0 {
            throw CLIError(message: "berth: cp: the source is '-' but stdin is a terminal (pipe a tar archive in)", code: 1)
        }
        var copied = 0
        try await withEngine { connection in
            let call = try await connection.rpc.clientStreaming(service: EngineAPI.containers, method: "CopyTo", timeout: nil)
            var first = Engine_CopyToRequest()
            first.options.id = container
            first.options.path = path
            try await call.send(try first.serializedBytes())
            let send = { (bytes: [UInt8]) async throws in
                var message = Engine_CopyToRequest()
                message.data = Data(bytes)
                copied += bytes.count
                try await call.send(try message.serializedBytes())
            }
            if local == "-" {
                while let data = try FileHandle.standardInput.read(upToCount: 1 << 20), !data.isEmpty { try await send([UInt8](data)) }
            } else {
                let followLink = followLink
                try await OutboundChunks.stream("cp", { try HostCopy.archive(local, followLink: followLink, to: $0) }, send: send)
            }
            _ = try await call.finish()
        }
        report(copied, "\(container):\(path)")
    }

    /// docker's progress line, only when stderr is a terminal.
    private func report(_ bytes: Int, _ destination: String) {
        guard !quiet, isatty(2) != 0 else { return }
        FileHandle.standardError.write(Data("Successfully copied \(humanSize(Int64(bytes))) to \(destination)\n".utf8))
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export a container's filesystem as a tar archive.")
    @Option(name: .shortAndLong, help: "Write to a file, instead of STDOUT.") var output: String?
    @Argument var container: String

    func run() async throws {
        if output == nil && isatty(1) != 0 {
            throw CLIError(message: "berth: cowardly refusing to save to a terminal. Use the -o flag or redirect", code: 1)
        }
        var request = Engine_ContainerRequest()
        request.id = container
        var handle: FileHandle?
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil), let file = FileHandle(forWritingAtPath: output) else {
                throw CLIError(message: "berth: failed to export container: cannot create \(output)", code: 1)
            }
            handle = file
        }
        do {
            try await withEngine { connection in
                let stream = try await connection.rpc.stream(EngineAPI.containers, "Export", request, returning: Engine_ArchiveChunk.self)
                for try await chunk in stream {
                    if let handle { try handle.write(contentsOf: chunk.data) } else { try writeStandardOutput(chunk.data) }
                }
            }
            try handle?.close()
        } catch {
            if let output { unlink(output) }  // no half archive left behind
            throw error
        }
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import the contents from a tarball to create a filesystem image.",
        discussion: "berth import [OPTIONS] file|- [REPOSITORY[:TAG]]")
    @Option(name: [.customShort("c"), .long], help: "Apply Dockerfile instruction to the created image.") var change: [String] = []
    @Option(name: .shortAndLong, help: "Set commit message for imported image.") var message = ""
    @Option(help: "Set platform if server is multi-platform capable.") var platform: String?
    @Argument var file: String
    @Argument var reference: String?

    func run() async throws {
        if file.hasPrefix("http://") || file.hasPrefix("https://") {
            throw CLIError(message: "berth: import from a URL is not supported yet (download it, then import the file)", code: 1)
        }
        let handle: FileHandle
        if file == "-" {
            if isatty(0) != 0 { throw CLIError(message: "berth: import from stdin, but stdin is a terminal (pipe a tar archive in)", code: 1) }
            handle = FileHandle.standardInput
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let opened = FileHandle(forReadingAtPath: file) else {
                throw CLIError(message: "berth: open \(file): \(isDirectory.boolValue ? "is a directory" : "no such file or directory")", code: 1)
            }
            handle = opened
        }
        var first = Engine_ImportImageRequest()
        first.options.reference = reference ?? ""
        first.options.changes = change
        first.options.message = message
        let response: Engine_ImportImageResponse = try await withEngine { connection in
            let call = try await connection.rpc.clientStreaming(service: EngineAPI.images, method: "Import", timeout: nil)
            try await call.send(try first.serializedBytes())
            while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                var chunk = Engine_ImportImageRequest()
                chunk.data = data
                try await call.send(try chunk.serializedBytes())
            }
            return try Engine_ImportImageResponse(serializedBytes: try await call.finish())
        }
        print(response.id)
    }
}

/// Writes an archive to stdout; a reader that went away (EPIPE: `| head`) ends berth quietly
/// with the status a SIGPIPE gives, as docker's CLI ends.
func writeStandardOutput(_ data: Data) throws {
    try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.write(1, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { throw ExitCode(141) }
                throw CLIError(message: "berth: write to stdout: \(String(cString: strerror(errno)))", code: 1)
            }
            offset += written
        }
    }
}
