// ProtectedExecutableTests: both ways the runtime protects its own binary (CVE-2019-5736) give a
// descriptor that executes the same program and cannot be written through — the read-only
// overlay (used when the runtime runs as root) and the sealed memfd copy (its fallback).
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import Sys
import TestSupport
import Testing

@testable import RuntimeCore

@Suite(.offPool) struct ProtectedExecutableTests {
    /// Runs `fd` as a program through /proc/self/fd and returns its exit code.
    private func run(_ fd: FileDescriptor, _ args: [String]) throws -> Int32 {
        var spawn = Spawn(executable: "/proc/self/fd/\(fd.rawValue)", arguments: args, environment: [])
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        spawn.fileDescriptors = [null, null, null]
        let pid = try withExtendedLifetime(fd) { try spawn.start() }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return ExitStatus(waitStatus: status)?.code ?? -1
    }

    private func readFile(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65536)
        while case let n = read(fd, &chunk, chunk.count), n > 0 { bytes += chunk[0..<n] }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func sealedCopyRunsAndRefusesWrites() throws {
        let copy = try ProtectedExecutable.sealedCopy(of: "/bin/false")
        #expect(try run(copy, []) == 1)
        var byte: UInt8 = 0
        #expect(pwrite(copy.rawValue, &byte, 1, 0) == -1 && errno == EPERM)
        #expect(ftruncate(copy.rawValue, 0) == -1 && errno == EPERM)
        let reopened = open("/proc/self/fd/\(copy.rawValue)", O_WRONLY | O_CLOEXEC)
        defer { if reopened >= 0 { close(reopened) } }
        #expect(reopened == -1 || write(reopened, &byte, 1) == -1)
    }

    @Test func readOnlyOverlayRunsAndRefusesWrites() throws {
        try #require(geteuid() == 0, "the overlay needs CAP_SYS_ADMIN")
        let scratch = try TemporaryDirectory(prefix: "berth-protected")
        let fd = try ProtectedExecutable.openThroughReadOnlyOverlay(path: "/bin/false", scratchDirectory: scratch.path)
        #expect(try run(fd, []) == 1)
        #expect(open("/proc/self/fd/\(fd.rawValue)", O_WRONLY | O_CLOEXEC) == -1 && errno == EROFS)
        // No mount is left anywhere: the overlay was never attached.
        #expect(!readFile("/proc/self/mountinfo").contains(scratch.path))
    }

    @Test func pathsOverlayfsCannotSpellFallBack() throws {
        #expect(throws: CoreError.self) {
            try ProtectedExecutable.openThroughReadOnlyOverlay(path: "/tmp/a:b/berth-runtime", scratchDirectory: "/tmp")
        }
        #expect(throws: CoreError.self) {
            try ProtectedExecutable.openThroughReadOnlyOverlay(path: "/usr/bin/berth-runtime (deleted)", scratchDirectory: "/tmp")
        }
    }
}
