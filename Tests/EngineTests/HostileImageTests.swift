// HostileImageTests: the generated hostile corpus (HostileImageCorpus) loaded with `berth load`
// into a real engine and unpacked by `berth create`; each image is refused with a clear error or
// confined to its snapshot (checked through `berth export`), and a canary tree next to the
// engine's data root — the place every case aims at — is unchanged afterwards. The engine runs
// with small layer limits (8 MiB, 2 000 entries) so the bomb and the many-entries tar are
// refused in a second — at load, by the importer's check of every layer, and at create too when
// such an image got in anyway (the limits lowered after its load). scripts/hostile-tar.sh runs
// the 10-million-entry tar against the default limits.
import Archive
import Foundation
import Sys
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct HostileImageTests {
    /// What the case must end as: refused with words in the error, or created with the checks.
    enum Expectation {
        /// `berth load` refuses the image.
        case refusedAtLoad(String)
        case refused(String)
        case confined(([String: TarEntry], [String: [UInt8]]) -> [String])  // problems found in the export
    }

    static let maxBytes = 8 << 20
    static let maxEntries = 2_000

    static func expectations(canary: String) -> [String: Expectation] {
        [
            "traversal": .refused("leaves the layer"),
            "absolute": .confined { entries, data in
                // The absolute name landed inside the snapshot, under its own path.
                data[String(canary.dropFirst()) + "/absolute"] == Array("pwned".utf8) ? [] : ["absolute file not inside the snapshot"]
            },
            "symlink-write": .refused("not a directory (a symlink?)"),
            "hardlink-host": .refused("not a file of this layer"),
            "hardlink-up": .refused("leaves the layer"),
            // docker (as root) makes device nodes from layers; the device cgroup keeps a container
            // from opening them. So does berth: made, inside the snapshot only.
            "devices": .confined { entries, _ in
                var problems: [String] = []
                if entries["dev/mem"]?.kind != .characterDevice || entries["dev/mem"]?.deviceMajor != 1 { problems.append("dev/mem") }
                if entries["dev/disk"]?.kind != .blockDevice || entries["dev/disk"]?.deviceMinor != 0 { problems.append("dev/disk") }
                return problems
            },
            // Kept, as docker keeps them.
            "setuid": .confined { entries, _ in
                (entries["bin/su-like"]?.mode ?? 0) & 0o7777 == 0o4755 && (entries["bin/sg-like"]?.mode ?? 0) & 0o7777 == 0o2755
                    ? [] : ["setuid/setgid bits not kept: \(String(describing: entries["bin/su-like"]?.mode))"]
            },
            "conflicts": .confined { entries, data in
                var problems: [String] = []
                if entries["a"]?.kind != .directory || data["a/inner"] != Array("inner".utf8) { problems.append("a: file then directory") }
                if entries["d"]?.kind != .file || data["d"] != Array("now a file".utf8) { problems.append("d: directory then file") }
                if data["twice"] != Array("two".utf8) { problems.append("twice: the last entry should win") }
                if entries["s"]?.kind != .file || data["s"] != Array("replaced the link".utf8) { problems.append("s: symlink then file") }
                return problems
            },
            "whiteout-up": .refused("leaves the layer"),
            "whiteout-dotdot": .refused("whiteout of nothing"),
            "bomb": .refusedAtLoad("unpacks to more than \(maxBytes) bytes"),
            "many-entries": .refusedAtLoad("more than \(maxEntries) entries"),
        ]
    }

    @Test func hostileImagesAreRefusedOrConfinedAndNothingOutsideChanges() async throws {
        let h = try EngineHarness()
        do {
            try await check(h)
        } catch {
            Issue.record("engine log:\n\(h.engineLog.suffix(4000))")
            await h.cleanup()
            throw error
        }
        await h.cleanup()
    }

    private func check(_ h: EngineHarness) async throws {
        let started = ContinuousClock.now
        let canary = "\(h.work)/canary"
        try FileManager.default.createDirectory(atPath: canary + "/sub", withIntermediateDirectories: true)
        try "the host's secret\n".write(toFile: canary + "/secret", atomically: false, encoding: .utf8)
        try "deeper\n".write(toFile: canary + "/sub/file", atomically: false, encoding: .utf8)
        let before = try Self.tree(canary)

        try await h.start(environment: ["BERTH_MAX_LAYER_SIZE=\(Self.maxBytes)", "BERTH_MAX_LAYER_ENTRIES=\(Self.maxEntries)"])
        let corpus = "\(h.work)/corpus"
        try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
        let layers = HostileImageCorpus.layers(canary: canary, manyEntries: Self.maxEntries * 2, bombBytes: Self.maxBytes * 16)
        let expectations = Self.expectations(canary: canary)
        #expect(Set(layers.map(\.name)) == Set(expectations.keys))
        var summary: [String] = []
        for layer in layers {
            let archive = try HostileImageCorpus.write(layer, in: corpus)
            var info = stat()
            stat(archive, &info)
            let content = Self.content(h)
            let load = try await h.berth(["load", "-i", archive])
            unlink(archive)
            if case .refusedAtLoad(let words) = expectations[layer.name] {
                #expect(load.status != 0 && load.err.contains(words), "\(layer.name): load: \(load.status) \(load.err)")
                summary.append("\(layer.name) (\(info.st_size) bytes): load refused: \(load.err.trimmingCharacters(in: .whitespacesAndNewlines))")
                #expect(!(try await h.berth(["images"]).out.contains("hostile/\(layer.name)")), "\(layer.name): a refused load left its image")
                #expect(Self.content(h) == content, "\(layer.name): a refused load left blobs or ingests")
                #expect(try Self.tree(canary) == before, "\(layer.name) changed the canary tree")
                continue
            }
            try #require(load.status == 0, "\(layer.name): load: \(load.err)")
            let create = try await h.berth(["create", "--name", "c-\(layer.name)", "hostile/\(layer.name)"])
            switch expectations[layer.name] {
            case .refused(let words):
                #expect(create.status == 125 && create.err.contains(words), "\(layer.name): \(create.status) \(create.err)")
                summary.append("\(layer.name) (\(info.st_size) bytes): refused: \(create.err.trimmingCharacters(in: .whitespacesAndNewlines))")
            case .confined(let inspect):
                try #require(create.status == 0, "\(layer.name): \(create.err)")
                let (entries, data) = try await export(h, "c-\(layer.name)")
                let problems = inspect(entries, data)
                #expect(problems.isEmpty, "\(layer.name): \(problems)")
                summary.append("\(layer.name): confined (\(entries.count) entries in the container's filesystem)")
            case nil, .refusedAtLoad:
                Issue.record("no expectation for \(layer.name)")
            }
            #expect(try Self.tree(canary) == before, "\(layer.name) changed the canary tree")
        }
        // Nothing of a refused layer is left: no half-unpacked snapshot (the bomb's zeros, the many files).
        let leftovers = FileManager.default.enumerator(atPath: "\(h.work)/data")?.compactMap { $0 as? String }
            .filter { $0.hasSuffix("/zeros") || $0.hasSuffix("/many/0") || $0.hasSuffix("/escaped") } ?? []
        #expect(leftovers.isEmpty, "left behind: \(leftovers.prefix(5))")
        // The refused images stay loaded but unusable; the engine still runs ordinary containers.
        try await h.loadBusybox()
        #expect(try await h.berth(["run", "--rm", "busybox", "echo", "fine"]).out == "fine\n")
        print("hostile images: \(layers.count) cases in \(ContinuousClock.now - started)")
        for line in summary { print("  \(line)") }
    }

    /// The container's filesystem as `berth export` gives it: entries and small files' data.
    private func export(_ h: EngineHarness, _ container: String) async throws -> ([String: TarEntry], [String: [UInt8]]) {
        let path = "\(h.work)/export-\(container).tar"
        let result = try await h.berth(["export", "-o", path, container])
        try #require(result.status == 0, "export: \(result.err)")
        defer { unlink(path) }
        let tar = TarReader(try FileSource(path: path))
        var entries: [String: TarEntry] = [:], data: [String: [UInt8]] = [:]
        while let entry = try tar.next() {
            var name = entry.path
            while name.hasPrefix("./") || name.hasPrefix("/") { name.removeFirst(name.hasPrefix("/") ? 1 : 2) }
            if name.hasSuffix("/") { name.removeLast() }
            entries[name] = entry
            if entry.kind == .file && entry.size < 4096 { data[name] = try tar.readAllData(limit: 4096) }
        }
        return (entries, data)
    }

    /// The supervisor's content store: blobs and ingest files.
    static func content(_ h: EngineHarness) -> [String] {
        let store = "\(h.work)/data/supervisor/content"
        return ["blobs/sha256", "ingest"].flatMap { sub in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(store)/\(sub)")) ?? []).map { "\(sub)/\($0)" }
        }.sorted()
    }

    /// Every file under `root`: its relative path, kind, mode, size and content.
    static func tree(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: root) ?? FileManager.default.enumerator(atPath: "/nonexistent")! {
            var info = stat()
            guard lstat("\(root)/\(path)", &info) == 0 else { continue }
            let content = info.st_mode & S_IFMT == S_IFREG ? (try? String(contentsOfFile: "\(root)/\(path)", encoding: .utf8)) ?? "?" : ""
            result[path] = "\(info.st_mode) \(info.st_size) \(info.st_nlink) \(content)"
        }
        return result
    }
}
