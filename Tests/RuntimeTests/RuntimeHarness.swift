// Test harness for berth-runtime: runs the real binary (built next to the test bundle) on copies
// of the busybox test bundle, under a private --root, and removes every container, cgroup and
// file it made, also when a test fails.
import Foundation
import Sys
#if canImport(Glibc)
import Glibc
#endif

struct ProgramResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

final class RuntimeHarness: @unchecked Sendable {
    let root: String
    let work: String
    let binary: String
    private var ids: [String] = []

    init() throws {
        let base = NSTemporaryDirectory() + "berth-rt-\(getpid())-\(UUID().uuidString.prefix(6))"
        work = base
        root = base + "/state"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        binary = try Self.locateBinary()
    }

    static func locateBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["BERTH_RUNTIME"], !path.isEmpty { return path }
        let exe = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        var dir = exe.deletingLastPathComponent()
        // The test bundle may sit in .../debug/berthPackageTests.xctest or directly in .../debug.
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("berth-runtime").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        throw HarnessError("berth-runtime binary not found next to the tests; build it first (swift build)")
    }

    /// A fresh id, remembered for cleanup.
    func newID(_ name: String = "c") -> String {
        let id = "\(name)-\(UUID().uuidString.prefix(8).lowercased())"
        ids.append(id)
        return id
    }

    /// Copies the test bundle and lets `edit` change its config.json (as a JSON dictionary).
    func bundle(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let image = try TestImageLocation.directory()
        let path = "\(work)/bundle-\(UUID().uuidString.prefix(8))"
        let copy = try runProgram("/bin/cp", ["-a", image + "/bundle", path])
        guard copy.status == 0 else { throw HarnessError("cp bundle: \(copy.stderr)") }
        let url = URL(fileURLWithPath: path + "/config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted]).write(to: url)
        return path
    }

    /// `berth-runtime --root ROOT ARGS…`.
    @discardableResult
    func runtime(_ args: [String], stdin: Int32? = nil, extraFDs: [Int32] = [], timeout: Duration = .seconds(30)) throws -> ProgramResult {
        try runProgram(binary, ["--root", root] + args, stdin: stdin, extraFDs: extraFDs, timeout: timeout)
    }

    /// Runs `script` with /bin/sh in a fresh container made from the test bundle after `edit`.
    func inside(_ script: String, _ edit: (inout [String: Any]) -> Void = { _ in }) throws -> ProgramResult {
        let bundle = try self.bundle {
            $0.setProcess("args", ["/bin/sh", "-c", script])
            edit(&$0)
        }
        return try runtime(["run", "--bundle", bundle, newID()])
    }

    func cleanup() {
        for id in ids { _ = try? runtime(["delete", "--force", id]) }
        try? FileManager.default.removeItem(atPath: work)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs a program with stdout and stderr captured in files (never pipes: a container that
/// outlives the call would hold a pipe open), killed after `timeout`.
func runProgram(_ executable: String, _ arguments: [String], stdin: Int32? = nil, extraFDs: [Int32] = [],
                timeout: Duration = .seconds(30)) throws -> ProgramResult {
    let base = NSTemporaryDirectory() + "berth-out-\(UUID().uuidString)"
    let out = open(base + ".out", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let err = open(base + ".err", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
    defer {
        close(out); close(err); close(null)
        unlink(base + ".out"); unlink(base + ".err")
    }
    var spawn = Spawn(executable: executable, arguments: arguments,
                      environment: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
    spawn.fileDescriptors = [stdin ?? null, out, err] + extraFDs
    let pid = try spawn.start()
    let deadline = ContinuousClock.now + timeout
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) != pid {
        if ContinuousClock.now > deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            throw HarnessError("\(executable) \(arguments.joined(separator: " ")) timed out")
        }
        usleep(2_000)
    }
    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return ProgramResult(status: Sys.ExitStatus(waitStatus: status)?.code ?? -1, stdout: read(base + ".out"), stderr: read(base + ".err"))
}

enum TestImageLocation {
    static func directory() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["BERTH_TEST_IMAGE"], !dir.isEmpty { return dir }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let dir = NSTemporaryDirectory() + "berth-test-image"
        if !FileManager.default.fileExists(atPath: dir + "/bundle/config.json") {
            let r = try runProgram("/bin/bash", [url.path + "/scripts/make-test-image.sh", dir], timeout: .seconds(120))
            guard r.status == 0 else { throw HarnessError("make-test-image.sh: \(r.stderr)") }
        }
        return dir
    }
}

extension Dictionary where Key == String, Value == Any {
    /// Sets config["process"]["args"] and friends without ceremony.
    mutating func setProcess(_ key: String, _ value: Any) {
        var process = self["process"] as? [String: Any] ?? [:]
        process[key] = value
        self["process"] = process
    }

    mutating func setLinux(_ key: String, _ value: Any) {
        var linux = self["linux"] as? [String: Any] ?? [:]
        linux[key] = value
        self["linux"] = linux
    }

    mutating func setRoot(readonly: Bool) {
        var root = self["root"] as? [String: Any] ?? [:]
        root["readonly"] = readonly
        self["root"] = root
    }
}

/// Runs a test body with a harness that is always cleaned up.
func withRuntime(_ body: (RuntimeHarness) throws -> Void) throws {
    let harness = try RuntimeHarness()
    defer { harness.cleanup() }
    try body(harness)
}
