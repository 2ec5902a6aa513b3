// Test helper: the busybox test image from scripts/make-test-image.sh, made once per test run
// (or taken from $BERTH_TEST_IMAGE when scripts/test.sh made it already).
import Foundation
import Sys
#if canImport(Glibc)
import Glibc
#endif

enum TestImage {
    /// The repository root, found from this file's path.
    static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// A directory holding rootfs/, bundle/, bundle-sleep/ and the image archives.
    static func directory() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["BERTH_TEST_IMAGE"], !dir.isEmpty,
           FileManager.default.fileExists(atPath: dir + "/bundle/config.json") {
            return dir
        }
        let dir = NSTemporaryDirectory() + "berth-test-image"
        if !FileManager.default.fileExists(atPath: dir + "/bundle/config.json") {
            let result = try run("/bin/bash", [repository + "/scripts/make-test-image.sh", dir])
            guard result.status == 0 else {
                throw TestFailure("make-test-image.sh failed: \(result.output)")
            }
        }
        return dir
    }

    /// Copies the test bundle to `destination` with the process arguments replaced.
    static func makeBundle(at destination: String, args: [String]) throws {
        let source = try directory() + "/bundle"
        let result = try run("/bin/cp", ["-a", source, destination])
        guard result.status == 0 else { throw TestFailure("cp bundle: \(result.output)") }
        let configURL = URL(fileURLWithPath: destination + "/config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        var process = config["process"] as! [String: Any]
        process["args"] = args
        config["process"] = process
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]).write(to: configURL)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program to completion (killed after `timeout`) through berth's own Spawn and returns
/// its status and combined output. Output goes through a file, not a pipe: a daemon the program
/// leaves behind (a shim's `start`) may inherit the descriptor, and reading a pipe to its end
/// would then never finish.
@discardableResult
func run(_ executable: String, _ arguments: [String], cwd: String? = nil,
         environment: [String: String]? = nil, timeout: Duration = .seconds(60)) throws -> (status: Int32, output: String) {
    let outputPath = NSTemporaryDirectory() + "berth-run-\(UUID().uuidString)"
    let out = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
    defer {
        close(out)
        close(null)
        unlink(outputPath)
    }
    var spawn = Spawn(executable: executable, arguments: arguments,
                      environment: (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" })
    spawn.workingDirectory = cwd
    spawn.fileDescriptors = [null, out, out]
    let pid = try spawn.start()
    let deadline = ContinuousClock.now + timeout
    var status: Int32 = 0
    while true {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { break }
        if r < 0 && errno != EINTR { throw TestFailure("waitpid \(pid): errno \(errno)") }
        if ContinuousClock.now > deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish in \(timeout)")
        }
        usleep(5_000)
    }
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    return (Sys.ExitStatus(waitStatus: status)?.code ?? -1, text)
}
