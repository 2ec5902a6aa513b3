// EngineFilesystemTests: `berth cp`, `export` and `import` end to end against a real engine —
// bytes and modes both ways on running, stopped and never-started containers, directories and
// docker's destination rules; symlinks planted in a container that point at host paths (reads
// get the container's files, writes land in the container, the host's /etc is never touched);
// hostile archives refused; device nodes not made on the host; a copy of many chunks; export of
// a running and a stopped container, and the export imported as an image that runs. Nothing
// stays mounted afterwards. CopyRulesTests: docker's destination rules and `import -c` forms.
import Archive
@testable import EngineCore
import Errdefs
import Foundation
import Images
import Sys
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct EngineFilesystemTests {
    @Test func copyBothWaysOnRunningStoppedAndNewContainers() async throws {
        try await withEngine { h in
            let run = try await h.berth(["run", "-d", "--name", "box", "busybox", "sh", "-c",
                                   "printf 'inside\\n' > /data.txt && chmod 640 /data.txt && mkdir -p /d/sub && echo deep > /d/sub/f && ln -sfn sub/f /d/link && touch /ready && sleep 1000"])
            #expect(run.status == 0, "\(run.err)")
            #expect(try await eventually { try await h.berth(["exec", "box", "test", "-e", "/ready"]).status == 0 })
            let local = h.work + "/local"
            try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)

            try await checkBothWays(h, "box", local, tag: "running")
            // Written into a running container: owned by its root, mode kept, seen by its processes.
            let seen = try await h.berth(["exec", "box", "stat", "-c", "%a %s %u:%g", "/tmp/blob-running.bin"])
            #expect(seen.out == "750 \(blobSize) 0:0\n", "\(seen.err)")

            #expect(try await h.berth(["stop", "-t", "0", "box"]).status == 0)
            try await checkBothWays(h, "box", local, tag: "stopped")
            // What was written while it was stopped is there when it runs again.
            #expect(try await h.berth(["start", "box"]).status == 0)
            let kept = try await h.berth(["exec", "box", "sh", "-c", "stat -c %a /tmp/blob-stopped.bin; cat /tree-stopped/a/x"])
            #expect(kept.out == "750\nx-stopped", "\(kept.err)")
            #expect(try await h.berth(["stop", "-t", "0", "box"]).status == 0)

            // A container never started: its snapshot exists, and cp works both ways.
            #expect(try await h.berth(["create", "--name", "fresh", "busybox", "true"]).status == 0)
            let blob = try Data(contentsOf: URL(fileURLWithPath: local + "/blob-running.bin"))
            #expect(try await h.berth(["cp", local + "/blob-running.bin", "fresh:/fresh.bin"]).status == 0)
            #expect(try await h.berth(["cp", "fresh:/fresh.bin", local + "/fresh-back.bin"]).status == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: local + "/fresh-back.bin")) == blob)
            let busybox = try await h.berth(["cp", "fresh:/bin/busybox", local + "/busybox"])
            #expect(busybox.status == 0, "\(busybox.err)")
            #expect(FileManager.default.isExecutableFile(atPath: local + "/busybox"))

            // Stopped containers were mounted privately and detached: nothing is left mounted.
            let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            #expect(!mounts.contains(h.work), "\(mounts)")
        }
    }

    @Test func symlinksToHostPathsAreResolvedInsideTheContainer() async throws {
        try await withEngine { h in
            let canaries = ["running", "stopped"].flatMap { ["/etc/berth-cp-canary-\(h.suffix)-\($0)", "/etc/berth-cp-rel-\(h.suffix)-\($0)"] }
            defer { for path in canaries { unlink(path) } }
            let run = try await h.berth(["run", "-d", "--name", "trap", "busybox", "sh", "-c",
                                   "ln -s /etc /link && ln -s ../../../../../../../../etc /rel && ln -s /etc/passwd /pw && mknod /blk b 7 0 && touch /ready && sleep 1000"])
            #expect(run.status == 0, "\(run.err)")
            #expect(try await eventually { try await h.berth(["exec", "trap", "test", "-e", "/ready"]).status == 0 })
            let containerPasswd = try await h.berth(["exec", "trap", "cat", "/etc/passwd"]).out
            let hostPasswd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
            try #require(!containerPasswd.isEmpty && containerPasswd != hostPasswd)
            let local = h.work + "/local"
            try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)

            for tag in ["running", "stopped"] {
                if tag == "stopped" { #expect(try await h.berth(["stop", "-t", "0", "trap"]).status == 0) }
                for (index, path) in ["/link/passwd", "/rel/passwd", "/link/../link/passwd"].enumerated() {
                    let out = "\(local)/passwd-\(tag)-\(index)"
                    let copy = try await h.berth(["cp", "trap:\(path)", out])
                    #expect(copy.status == 0, "\(path): \(copy.err)")
                    #expect(try String(contentsOfFile: out, encoding: .utf8) == containerPasswd, "\(tag) \(path)")
                }
                // A device node the container made is not made on the host.
                let device = try await h.berth(["cp", "trap:/blk", "\(local)/blk-\(tag)"])
                #expect(device.status == 0, "\(device.err)")
                #expect(!FileManager.default.fileExists(atPath: "\(local)/blk-\(tag)"))
                // A symlink named as the source is copied as the link itself.
                #expect(try await h.berth(["cp", "trap:/pw", "\(local)/pw-\(tag)"]).status == 0)
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(local)/pw-\(tag)") == "/etc/passwd")

                // Writes through the links land in the container's /etc, never the host's.
                let canary = "berth-cp-canary-\(h.suffix)-\(tag)"
                try "canary \(tag)\n".write(toFile: "\(local)/\(canary)", atomically: false, encoding: .utf8)
                let into = try await h.berth(["cp", "\(local)/\(canary)", "trap:/link/"])
                #expect(into.status == 0, "\(into.err)")
                let relative = try await h.berth(["cp", "\(local)/\(canary)", "trap:/rel/berth-cp-rel-\(h.suffix)-\(tag)"])
                #expect(relative.status == 0, "\(relative.err)")
                #expect(!FileManager.default.fileExists(atPath: "/etc/\(canary)"))
                #expect(!FileManager.default.fileExists(atPath: "/etc/berth-cp-rel-\(h.suffix)-\(tag)"))
                #expect(try await h.berth(["cp", "trap:/etc/\(canary)", "\(local)/back-\(tag)"]).status == 0)
                #expect(try String(contentsOfFile: "\(local)/back-\(tag)", encoding: .utf8) == "canary \(tag)\n")
                #expect(try await h.berth(["cp", "trap:/etc/berth-cp-rel-\(h.suffix)-\(tag)", "\(local)/rel-back-\(tag)"]).status == 0)
                // Onto a link to /etc/passwd: followed as docker does — to the container's file; the
                // host's is untouched. Then the container's is put back.
                #expect(try await h.berth(["cp", "\(local)/\(canary)", "trap:/pw"]).status == 0)
                #expect(try String(contentsOfFile: "/etc/passwd", encoding: .utf8) == hostPasswd)
                #expect(try await h.berth(["cp", "trap:/etc/passwd", "\(local)/overwritten-\(tag)"]).status == 0)
                #expect(try String(contentsOfFile: "\(local)/overwritten-\(tag)", encoding: .utf8) == "canary \(tag)\n")
                try FileManager.default.createDirectory(atPath: "\(local)/restore-\(tag)", withIntermediateDirectories: false)
                try containerPasswd.write(toFile: "\(local)/restore-\(tag)/passwd", atomically: false, encoding: .utf8)
                #expect(try await h.berth(["cp", "\(local)/restore-\(tag)/passwd", "trap:/link/passwd"]).status == 0)
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(local)/pw-\(tag)") == "/etc/passwd")

                // Hostile archives on stdin: a symlink to a host directory then a file through it,
                // and a name climbing out with "..". Both refused; nothing appears on the host.
                let evil = "berth-cp-evil-\(h.suffix)-\(tag)"
                let archives = try await hostileArchives(local, evil, tag: tag)
                for archive in archives {
                    let refused = try await berthFiles(h, ["cp", "-", "trap:/tmp"], stdin: archive, stdout: "\(local)/evil.out")
                    #expect(refused.status == 1, "\(archive): \(refused.err)")
                    #expect(refused.err.contains("refused"), "\(refused.err)")
                }
                // Nothing is written into the container's /proc or /sys.
                try FileManager.default.createDirectory(atPath: "\(local)/kernel-\(tag)/proc", withIntermediateDirectories: true)
                try "x".write(toFile: "\(local)/kernel-\(tag)/proc/berth-x", atomically: false, encoding: .utf8)
                let kernel = try await h.berth(["cp", "\(local)/kernel-\(tag)/.", "trap:/"])
                if tag == "running" { #expect(kernel.status == 1 && kernel.err.contains("kernel filesystem"), "\(kernel.err)") }
                #expect(!FileManager.default.fileExists(atPath: "/tmp/\(evil)"))
                #expect(!FileManager.default.fileExists(atPath: "\(h.work)/\(evil)"))
            }
        }
    }

    @Test func aCopyOfManyChunksArrivesWhole() async throws {
        // 48 chunks of 1 MiB each way. (Not more: ttrpc has no flow control, and a server stream
        // holds 64 messages; the engine spools what it receives at once, but a client that
        // outruns it by 64 MiB on a loaded machine still fails — see Engine+Filesystem.swift.)
        try await withEngine { h in
            #expect(try await h.berth(["create", "--name", "big", "busybox", "true"]).status == 0)
            let local = h.work + "/large.bin"
            let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
            let bytes = try random.read(upToCount: 48 << 20) ?? Data()
            try bytes.write(to: URL(fileURLWithPath: local))
            let up = try await h.berth(["cp", local, "big:/large.bin"])
            #expect(up.status == 0, "\(up.err)")
            #expect(try await h.berth(["cp", "big:/large.bin", local + ".back"]).status == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: local + ".back")) == bytes)
        }
    }

    @Test func exportAndImportTheExport() async throws {
        try await withEngine { h in
            let run = try await h.berth(["run", "-d", "--name", "ex", "busybox", "sh", "-c", "echo exported > /marker && sleep 1000"])
            #expect(run.status == 0, "\(run.err)")
            #expect(try await eventually { try await h.berth(["exec", "ex", "test", "-e", "/marker"]).status == 0 })
            let local = h.work + "/local"
            try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)

            // Running: the root filesystem, mount points (/proc, /sys, /dev, …) left empty.
            #expect(try await h.berth(["export", "-o", "\(local)/running.tar", "ex"]).status == 0)
            let running = try await tarList("\(local)/running.tar")
            #expect(running.contains("bin/busybox") && running.contains("marker") && running.contains("proc/"))
            #expect(!running.contains { $0.hasPrefix("proc/") && $0 != "proc/" })
            #expect(!running.contains { $0.hasPrefix("sys/") && $0 != "sys/" })
            // To stdout, the same way; a terminal is refused (no tty here, so it goes through).
            let piped = try await berthFiles(h, ["export", "ex"], stdin: nil, stdout: "\(local)/piped.tar")
            #expect(piped.status == 0, "\(piped.err)")
            #expect(try await tarList("\(local)/piped.tar").contains("bin/busybox"))

            #expect(try await h.berth(["stop", "-t", "0", "ex"]).status == 0)
            #expect(try await h.berth(["export", "--output", "\(local)/stopped.tar", "ex"]).status == 0)
            let stopped = try await tarList("\(local)/stopped.tar")
            #expect(stopped.contains("bin/busybox") && stopped.contains("marker"))

            // The export, imported with a command, runs.
            let imported = try await h.berth(["import", "-c", #"CMD ["echo","hi"]"#, "-m", "from export", "\(local)/stopped.tar", "exported:v1"])
            #expect(imported.status == 0, "\(imported.err)")
            let id = imported.out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.hasPrefix("sha256:") && id.count == 71 && id.dropFirst(7).allSatisfy(\.isHexDigit), "\(imported.out)")
            let hi = try await h.berth(["run", "--rm", "exported:v1"])
            #expect(hi.status == 0 && hi.out == "hi\n", "\(hi.err)")
            #expect(try await h.berth(["run", "--rm", "exported:v1", "cat", "/marker"]).out == "exported\n")
            #expect(try await h.berth(["image", "inspect", "-f", "{{.Id}} {{.Config.Cmd}}", "exported:v1"]).out == "\(id) [echo hi]\n")
            #expect(try await h.berth(["images", "--format", "{{.Repository}}:{{.Tag}}", "exported"]).out == "exported:v1\n")

            // gzip'd on stdin, with ENV and WORKDIR changes and a shell-form CMD.
            #expect(try await shell("gzip -c \(local)/running.tar > \(local)/running.tar.gz") == 0)
            let fromStdin = try await berthFiles(h, ["image", "import", "-c", "ENV GREETING=\"hello there\"", "--change", "WORKDIR /tmp",
                                               "-c", "CMD echo $GREETING from $(pwd)", "-", "exported:gz"],
                                           stdin: "\(local)/running.tar.gz", stdout: "\(local)/import.out")
            #expect(fromStdin.status == 0, "\(fromStdin.err)")
            #expect(try await h.berth(["run", "--rm", "exported:gz"]).out == "hello there from /tmp\n")

            // Not a tar, a bad change, and no reference: refused.
            try "not a tar archive at all".write(toFile: "\(local)/junk", atomically: false, encoding: .utf8)
            let junk = try await h.berth(["import", "\(local)/junk", "junk:1"])
            #expect(junk.status == 1 && junk.err.contains("not a tar archive"), "\(junk.err)")
            let badChange = try await h.berth(["import", "-c", "RUN rm -rf /", "\(local)/stopped.tar", "bad:1"])
            #expect(badChange.status == 1 && badChange.err.contains("run is not a valid change command"), "\(badChange.err)")
            #expect(try await h.berth(["image", "inspect", "junk:1"]).status == 1)
        }
    }
}

/// The rules alone, without an engine: docker's destinations and `import -c` forms.
@Suite(.offPool) struct CopyRulesTests {
    @Test func destinationsFollowDockersRules() throws {
        let file = CopySource.file("a.txt"), directory = CopySource.directory("d")
        #expect(try CopyDestination.plan(file, destination: "/x", exists: true, isDirectory: true) == CopyPlan(directory: "/x"))
        #expect(try CopyDestination.plan(file, destination: "/x/b.txt", exists: true, isDirectory: false)
                == CopyPlan(directory: "/x", renameFrom: "a.txt", renameTo: "b.txt"))
        #expect(try CopyDestination.plan(directory, destination: "/x/new/", exists: false, isDirectory: false)
                == CopyPlan(directory: "/x", renameFrom: "d", renameTo: "new"))
        #expect(try CopyDestination.plan(.contents, destination: "/x/new", exists: false, isDirectory: false)
                == CopyPlan(directory: "/x", renameFrom: ".", renameTo: "new"))
        #expect(throws: CoreError.self) { try CopyDestination.plan(file, destination: "/x/new/", exists: false, isDirectory: false) }
        #expect(throws: CoreError.self) { try CopyDestination.plan(directory, destination: "/x/f", exists: true, isDirectory: false) }
        #expect(CopyDestination.components("/a/./b/../../../c//d") == ["c", "d"])
        #expect(try CopySource(first: TarEntry(.directory, path: "./", mode: 0o755)) == .contents)
        #expect(try CopySource(first: TarEntry(.symbolicLink, path: "l", linkTarget: "/etc", mode: 0o777)) == .file("l"))
        #expect(throws: CoreError.self) { try CopySource(first: TarEntry(.file, path: "../x", mode: 0o644)) }
        let links = ["/pw": "/etc/passwd", "/etc": "private/etc", "/r": "../../pw"]
        #expect(CopyDestination.followingLinks("/r") { links[$0] } == "/etc/passwd")
    }

    @Test func importChangesTakeDockersForms() throws {
        let changes = try ImageChanges.parse([
            #"CMD ["echo","hi"]"#, "entrypoint /bin/sh -c", "ENV A=1 B=\"two words\"", "ENV C three words", "EXPOSE 80 53/udp",
            "LABEL k=v", "WORKDIR /srv", "WORKDIR app", "USER 1000:1000", "VOLUME [\"/data\"]", "STOPSIGNAL SIGINT",
        ])
        #expect(changes.cmd == ["echo", "hi"])
        #expect(changes.entrypoint == ["/bin/sh", "-c", "/bin/sh -c"])
        #expect(changes.env == ["A=1", "B=two words", "C=three words"])
        #expect(changes.exposedPorts == ["80/tcp", "53/udp"])
        #expect(changes.labels == ["k": "v"] && changes.volumes == ["/data"])
        #expect(changes.workingDir == "/srv/app" && changes.user == "1000:1000" && changes.stopSignal == "SIGINT")
        #expect(throws: CoreError.self) { try ImageChanges.parse(["RUN true"]) }
        #expect(throws: CoreError.self) { try ImageChanges.parse(["ENV A=\"open"]) }
    }
}

let blobSize = 2_500_000

/// cp both ways with one container, all checks through cp itself (it may be stopped).
private func checkBothWays(_ h: EngineHarness, _ name: String, _ local: String, tag: String) async throws {
    // Container → host: a file's bytes and mode; into an existing directory under its own name.
    let out = "\(local)/data-\(tag).txt"
    let file = try await h.berth(["cp", "\(name):/data.txt", out])
    #expect(file.status == 0 && file.out.isEmpty, "\(file.err)")
    #expect(try String(contentsOfFile: out, encoding: .utf8) == "inside\n")
    #expect(try mode(out) == 0o640)
    try FileManager.default.createDirectory(atPath: "\(local)/into-\(tag)", withIntermediateDirectories: false)
    #expect(try await h.berth(["cp", "\(name):/data.txt", "\(local)/into-\(tag)"]).status == 0)
    #expect(FileManager.default.fileExists(atPath: "\(local)/into-\(tag)/data.txt"))
    // A directory to a new name (symlinks inside kept as links), and "DIR/." as contents.
    #expect(try await h.berth(["cp", "\(name):/d", "\(local)/d-\(tag)"]).status == 0)
    #expect(try String(contentsOfFile: "\(local)/d-\(tag)/sub/f", encoding: .utf8) == "deep\n")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(local)/d-\(tag)/link") == "sub/f")
    try FileManager.default.createDirectory(atPath: "\(local)/dc-\(tag)", withIntermediateDirectories: false)
    #expect(try await h.berth(["cp", "\(name):/d/.", "\(local)/dc-\(tag)"]).status == 0)
    #expect(try String(contentsOfFile: "\(local)/dc-\(tag)/sub/f", encoding: .utf8) == "deep\n")

    // Host → container: several chunks of random bytes with mode 0750, then back.
    let blob = "\(local)/blob-\(tag).bin"
    var generator = SystemRandomNumberGenerator()
    let bytes = Data((0..<blobSize).map { _ in UInt8.random(in: 0...255, using: &generator) })
    try bytes.write(to: URL(fileURLWithPath: blob))
    chmod(blob, 0o750)
    let up = try await h.berth(["cp", blob, "\(name):/tmp/"])
    #expect(up.status == 0 && up.out.isEmpty, "\(up.err)")
    #expect(try await h.berth(["cp", "\(name):/tmp/blob-\(tag).bin", "\(local)/back-\(tag).bin"]).status == 0)
    #expect(try Data(contentsOf: URL(fileURLWithPath: "\(local)/back-\(tag).bin")) == bytes)
    #expect(try mode("\(local)/back-\(tag).bin") == 0o750)

    // A host directory to a new directory in the container.
    try FileManager.default.createDirectory(atPath: "\(local)/tree-\(tag)/a", withIntermediateDirectories: true)
    try "x-\(tag)".write(toFile: "\(local)/tree-\(tag)/a/x", atomically: false, encoding: .utf8)
    #expect(try await h.berth(["cp", "\(local)/tree-\(tag)", "\(name):/tree-\(tag)"]).status == 0)
    #expect(try await h.berth(["cp", "\(name):/tree-\(tag)/a/x", "\(local)/x-\(tag)"]).status == 0)
    #expect(try String(contentsOfFile: "\(local)/x-\(tag)", encoding: .utf8) == "x-\(tag)")

    // A file onto an existing file replaces it; errors are docker's.
    #expect(try await h.berth(["cp", out, "\(name):/tmp/copy-\(tag)"]).status == 0)
    #expect(try await h.berth(["cp", out, "\(name):/tmp/copy-\(tag)"]).status == 0)
    let missing = try await h.berth(["cp", "\(name):/nope", "\(local)/nope"])
    #expect(missing.status == 1 && missing.err.contains("Could not find the file /nope in container \(name)"), "\(missing.err)")
    let dirOnFile = try await h.berth(["cp", "\(local)/tree-\(tag)", "\(name):/data.txt"])
    #expect(dirOnFile.status == 1, "\(dirOnFile.err)")
    let noParent = try await h.berth(["cp", out, "\(name):/no/such/dir/file"])
    #expect(noParent.status == 1 && noParent.err.contains("Could not find the file /no/such/dir"), "\(noParent.err)")
}

private func mode(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
}

/// Runs `berth ARGS` with stdin from a file and stdout to a file (archives are binary).
private func berthFiles(_ h: EngineHarness, _ arguments: [String], stdin: String?, stdout: String) async throws -> CommandResult {
    try await offPool { try berthFilesBlocking(h, arguments, stdin: stdin, stdout: stdout) }
}

private func berthFilesBlocking(_ h: EngineHarness, _ arguments: [String], stdin: String?, stdout: String) throws -> CommandResult {
    let input = open(stdin ?? "/dev/null", O_RDONLY | O_CLOEXEC)
    let out = open(stdout, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let errPath = stdout + ".err"
    let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    defer { close(input); close(out); close(err); unlink(errPath) }
    var spawn = Spawn(executable: "\(h.bin)/berth", arguments: ["-H", "unix://\(h.socket)"] + arguments, environment: ["PATH=/usr/bin:/bin"])
    spawn.fileDescriptors = [input, out, err]
    let status = try Spawn.waitForExit(try spawn.start())
    let code: Int32 = if case .exited(let value) = status { value } else { -1 }
    return CommandResult(status: code, out: "", err: try String(contentsOfFile: errPath, encoding: .utf8))
}

/// The names in a tar archive, by the host's tar.
private func tarList(_ path: String) async throws -> [String] {
    try await offPool { try tarListBlocking(path) }
}

private func tarListBlocking(_ path: String) throws -> [String] {
    let tar = Process()
    tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
    tar.arguments = ["-tf", path]
    let pipe = Pipe()
    tar.standardOutput = pipe
    try tar.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    tar.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.hasPrefix("./") ? String($0.dropFirst(2)) : String($0) }
}

/// Two archives made with the host's tar: `esc -> <host dir>` then `esc/NAME`; and `../../NAME`.
private func hostileArchives(_ local: String, _ name: String, tag: String) async throws -> [String] {
    let base = "\(local)/hostile-\(tag)"
    let script = """
        set -e
        mkdir -p \(base)/one \(base)/two/esc \(base)/three
        ln -s /tmp \(base)/one/esc
        echo pwned > \(base)/two/esc/\(name)
        tar -cf \(base)/link.tar -C \(base)/one esc
        tar -rf \(base)/link.tar -C \(base)/two esc/\(name)
        echo pwned > \(base)/three/\(name)
        tar -cPf \(base)/dots.tar -C \(base)/three --transform 's,^,../../,' \(name)
        """
    try #require(try await shell(script) == 0)
    return ["\(base)/link.tar", "\(base)/dots.tar"]
}

/// Runs a shell script (off the cooperative pool) and returns its exit status.
private func shell(_ script: String) async throws -> Int32 {
    try await offPool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
