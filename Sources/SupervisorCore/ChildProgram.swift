// ChildProgram: runs a short-lived helper program (a shim's `start` or `delete` command) to
// completion with its output captured in anonymous memory files — never pipes, so a daemon it
// leaves behind holding a copy of stdout cannot make us wait — and waits for it on a thread of
// its own, so the cooperative pool is never blocked.
import Errdefs
import Foundation
import Sys

public struct ProgramResult: Sendable {
    public var status: ExitStatus
    public var stdout: [UInt8]
    public var stderr: [UInt8]

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
}

public enum ChildProgram {
    public static func run(_ executable: String, _ arguments: [String], cwd: String? = nil,
                           environment: [String], stdin: [UInt8] = []) async throws -> ProgramResult {
        let input = try scratchFile(containing: stdin)
        let output = try scratchFile(containing: [])
        let errors = try scratchFile(containing: [])
        var spawn = Spawn(executable: executable, arguments: arguments, environment: environment)
        spawn.workingDirectory = cwd
        spawn.fileDescriptors = [input.rawValue, output.rawValue, errors.rawValue]
        let pid = try withExtendedLifetime((input, output, errors)) { try spawn.start() }
        let status = try await waitOnThread(pid)
        return ProgramResult(status: status, stdout: try readAll(output), stderr: try readAll(errors))
    }

    /// waitpid on a dedicated thread; resumes the caller when the child has exited.
    static func waitOnThread(_ pid: pid_t) async throws -> ExitStatus {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try Spawn.waitForExit(pid)) } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.stackSize = 64 << 10
            thread.start()
        }
    }

    /// An anonymous memory file (memfd, close-on-exec; Spawn passes it explicitly): no inode on
    /// disk to create and unlink for every shim start, which costs under load.
    private static func scratchFile(containing bytes: [UInt8]) throws(CoreError) -> FileDescriptor {
        let file = try Linux.memfdCreate(name: "berth-child")
        if !bytes.isEmpty {
            try file.write(bytes)
            _ = file.withRawValue { lseek($0, 0, SEEK_SET) }
        }
        return file
    }

    private static func readAll(_ file: FileDescriptor) throws(CoreError) -> [UInt8] {
        _ = file.withRawValue { lseek($0, 0, SEEK_SET) }
        return try file.readToEnd()
    }
}
