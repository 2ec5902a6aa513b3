// HostileImageCorpus: generates the hostile images of issue 10 as docker-archives (`docker
// save`'s format: manifest.json, the config, one layer tar) in a directory, for `berth load`.
// Each layer is written as it is generated, entry by entry, so a layer of many entries or a
// decompression bomb never sits in memory. The cases aim at a canary directory outside the
// engine's data root: `..` traversal, absolute names, a symlink then a write through it, hard
// links to a host file, device nodes, setuid files, duplicate and conflicting entries, whiteouts
// pointing outside, a bomb (gzip of zeros) and a tar of very many entries.
import Archive
import Digest
import Errdefs
import Foundation
import Sys
#if canImport(Glibc)
import Glibc
#endif

/// One hostile layer: its entries, produced lazily.
struct HostileLayer {
    var name: String
    /// Calls `add` for every entry (data for files given inline).
    var entries: (_ add: (TarEntry, [UInt8]) throws -> Void) throws -> Void
    /// gzip the layer (the bomb).
    var gzip = false
}

enum HostileImageCorpus {
    /// The cases, aimed at `canary` (an absolute host directory). `manyEntries` entries for the
    /// many-entries case; `bombBytes` of zeros in the bomb.
    static func layers(canary: String, manyEntries: Int, bombBytes: Int) -> [HostileLayer] {
        func file(_ path: String, _ text: String, mode: UInt32 = 0o644) -> (TarEntry, [UInt8]) {
            (TarEntry(.file, path: path, mode: mode, size: text.utf8.count), Array(text.utf8))
        }
        let up = String(repeating: "../", count: 12) + String(canary.dropFirst())  // far enough up from any snapshot
        return [
            HostileLayer(name: "traversal") { add in
                try add(TarEntry(.directory, path: "ok/", mode: 0o755), [])
                try add(file("ok/" + up + "/escaped", "pwned").0, Array("pwned".utf8))
            },
            HostileLayer(name: "absolute") { add in
                let (entry, data) = file(canary + "/absolute", "pwned")
                try add(entry, data)
            },
            HostileLayer(name: "symlink-write") { add in
                try add(TarEntry(.symbolicLink, path: "link", linkTarget: canary, mode: 0o777), [])
                let (entry, data) = file("link/through-symlink", "pwned")
                try add(entry, data)
            },
            HostileLayer(name: "hardlink-host") { add in
                try add(TarEntry(.hardLink, path: "secret", linkTarget: canary + "/secret", mode: 0o644), [])
            },
            HostileLayer(name: "hardlink-up") { add in
                try add(TarEntry(.hardLink, path: "secret", linkTarget: up + "/secret", mode: 0o644), [])
            },
            HostileLayer(name: "devices") { add in
                try add(TarEntry(.directory, path: "dev/", mode: 0o755), [])
                try add(TarEntry(.characterDevice, path: "dev/mem", mode: 0o600, deviceMajor: 1, deviceMinor: 1), [])
                try add(TarEntry(.blockDevice, path: "dev/disk", mode: 0o600, deviceMajor: 8, deviceMinor: 0), [])
            },
            HostileLayer(name: "setuid") { add in
                let (entry, data) = file("bin/su-like", "#!/bin/sh\n", mode: 0o4755)
                try add(entry, data)
                let (group, bytes) = file("bin/sg-like", "#!/bin/sh\n", mode: 0o2755)
                try add(group, bytes)
            },
            HostileLayer(name: "conflicts") { add in
                // The same name as a file, then a directory holding a file; a directory then a
                // file; a file twice (the last one wins, as tar does); a symlink then a file.
                try add(file("a", "first").0, Array("first".utf8))
                try add(TarEntry(.directory, path: "a/", mode: 0o755), [])
                try add(file("a/inner", "inner").0, Array("inner".utf8))
                try add(TarEntry(.directory, path: "d/", mode: 0o755), [])
                try add(file("d/child", "child").0, Array("child".utf8))
                try add(file("d", "now a file").0, Array("now a file".utf8))
                try add(file("twice", "one").0, Array("one".utf8))
                try add(file("twice", "two").0, Array("two".utf8))
                try add(TarEntry(.symbolicLink, path: "s", linkTarget: canary + "/secret", mode: 0o777), [])
                try add(file("s", "replaced the link").0, Array("replaced the link".utf8))
            },
            HostileLayer(name: "whiteout-up") { add in
                try add(TarEntry(.directory, path: "sub/", mode: 0o755), [])
                try add(TarEntry(.file, path: "sub/" + up + "/.wh.secret", mode: 0o644), [])
            },
            HostileLayer(name: "whiteout-dotdot") { add in
                try add(TarEntry(.directory, path: "sub/", mode: 0o755), [])
                try add(TarEntry(.file, path: "sub/.wh...", mode: 0o644), [])
            },
            HostileLayer(name: "bomb", entries: { add in
                try add(TarEntry(.file, path: "zeros", mode: 0o644, size: bombBytes), [])  // data: zeros, streamed
            }, gzip: true),
            HostileLayer(name: "many-entries") { add in
                try add(TarEntry(.directory, path: "many/", mode: 0o755), [])
                for index in 0..<manyEntries { try add(TarEntry(.file, path: "many/\(index)", mode: 0o644), []) }
            },
        ]
    }

    /// Writes `layer` as a docker-archive `DIR/NAME.tar` holding image `hostile/NAME:latest`
    /// (command /bin/sh) and returns its path.
    static func write(_ layer: HostileLayer, in directory: String) throws -> String {
        let layerPath = "\(directory)/\(layer.name)-layer.tar"
        let diffID = try writeLayer(layer, to: layerPath)
        var storedLayer = layerPath
        if layer.gzip {
            guard try run("/bin/gzip", ["-1", "-f", layerPath]) == 0 else { throw HarnessFailure("gzip \(layerPath) failed") }
            storedLayer = layerPath + ".gz"
        }
        let config = """
        {"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},\
        "rootfs":{"type":"layers","diff_ids":["sha256:\(diffID)"]}}
        """
        let manifest = #"[{"Config":"config.json","RepoTags":["hostile/\#(layer.name):latest"],"Layers":["layer.tar"]}]"#
        let archive = "\(directory)/\(layer.name).tar"
        let fd = open(archive, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HarnessFailure("open \(archive): errno \(errno)") }
        defer { close(fd) }
        let writer = TarEntryWriter { bytes throws(CoreError) in try writeAll(fd, bytes, archive) }
        for (name, text) in [("manifest.json", manifest), ("config.json", config)] {
            try writer.append(TarEntry(.file, path: name, mode: 0o644, size: text.utf8.count), data: MemorySource(Array(text.utf8)))
        }
        var info = stat()
        guard stat(storedLayer, &info) == 0 else { throw HarnessFailure("stat \(storedLayer): errno \(errno)") }
        try writer.append(TarEntry(.file, path: "layer.tar", mode: 0o644, size: Int(info.st_size)), data: try FileSource(path: storedLayer))
        try writer.finish()
        unlink(storedLayer)
        return archive
    }

    /// Streams the layer's tar to `path`; returns the hex sha256 of the (uncompressed) tar (zeros for
/// the bomb).
    private static func writeLayer(_ layer: HostileLayer, to path: String) throws -> String {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HarnessFailure("open \(path): errno \(errno)") }
        defer { close(fd) }
        var hasher = SHA256()
        let hashing = !layer.gzip  // the bomb is refused long before its diff id is checked: no need to hash it
        let writer = TarEntryWriter { bytes throws(CoreError) in
            if hashing { hasher.update(bytes) }
            try writeAll(fd, bytes, path)
        }
        try layer.entries { entry, data in
            try writer.append(entry, data: entry.kind == .file ? (data.isEmpty ? ZeroSource() as ByteSource : MemorySource(data)) : nil)
        }
        try writer.finish()
        return hashing ? hasher.hexDigest() : String(repeating: "0", count: 64)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws(CoreError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CoreError(SystemCallFailure(call: "write", path: path, errno: errno))
            }
            offset += written
        }
    }

    static func run(_ program: String, _ arguments: [String]) throws -> Int32 {
        var spawn = Spawn(executable: program, arguments: arguments, environment: ["PATH=/usr/bin:/bin"])
        let pid = try spawn.start()
        if case .exited(let code) = try Spawn.waitForExit(pid) { return code }
        return -1
    }
}

/// Endless zeros (a file's data the writer cuts to its size).
final class ZeroSource: ByteSource {
    func read(upTo count: Int) throws(CoreError) -> [UInt8] { [UInt8](repeating: 0, count: min(count, 1 << 20)) }
}
