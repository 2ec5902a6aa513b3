// LinuxTests: the Linux namespace wrappers — the single-thread rule of unshare, pidfds, prctl
// reads. Nothing here changes the test process's namespaces, seccomp state or fd flags.
import Errdefs
import Glibc
import Sys
import TestSupport
import Testing

@Suite("Linux", .offPool)
struct LinuxTests {
    /// Documents the rule that keeps namespace work out of multi-threaded processes: the kernel
    /// refuses a new user namespace once a process has several threads.
    @Test func unshareUserNamespaceFailsInAMultiThreadedProcess() throws {
        // Guard: in a single-threaded process the call would succeed and strand the test runner
        // in a new user namespace without privileges.
        let threads = try Linux.threadCount()
        try #require(threads > 1, "test runner unexpectedly single-threaded")
        let error = #expect(throws: CoreError.self) { try Linux.unshare(.user) }
        #expect(error?.cause?.call == "unshare")
        #expect(error?.cause?.errno == EINVAL)
        #expect(error?.code == .invalidArgument)
    }

    @Test func threadCountMatchesProcStatus() throws {
        #expect(try Linux.threadCount() >= 1)
        #expect(try TestSupport.procStatus("Threads") != nil)
    }

    @Test func pidfdSignalsTheChildAndReportsESRCHOnceReaped() throws {
        let null = try TestSupport.devNull()
        var spawn = Spawn(executable: "/bin/sleep", arguments: ["30"])
        spawn.fileDescriptors = [null.rawValue, null.rawValue, null.rawValue]
        let pid = try withExtendedLifetime(null) { try spawn.start() }
        let pidfd: FileDescriptor
        do {
            pidfd = try Linux.pidfdOpen(pid)
        } catch {
            TestSupport.killAndReap(pid)
            throw error
        }
        #expect(try pidfd.isCloseOnExec())
        try Linux.pidfdSendSignal(pidfd, signal: SIGKILL)
        #expect(try Spawn.waitForExit(pid) == .signaled(SIGKILL))
        let error = #expect(throws: CoreError.self) { try Linux.pidfdSendSignal(pidfd, signal: SIGKILL) }
        #expect(error?.cause?.errno == ESRCH)
    }

    @Test func pidfdOpenOfAMissingProcessIsESRCH() {
        // pid_max is at most 2^22, so this pid cannot exist.
        let error = #expect(throws: CoreError.self) { try Linux.pidfdOpen(1 << 23) }
        #expect(error?.cause?.call == "pidfd_open")
        #expect(error?.cause?.errno == ESRCH)
    }

    @Test func noNewPrivilegesReadsLikeProcStatus() throws {
        let expected = try TestSupport.procStatus("NoNewPrivs") == "1"
        #expect(try Linux.hasNoNewPrivileges() == expected)
        _ = try Linux.isChildSubreaper()
    }

    @Test func namespaceFlagsHaveTheKernelValues() {
        #expect(Linux.Namespaces.user.rawValue == 0x1000_0000)
        #expect(Linux.Namespaces.pid.rawValue == 0x2000_0000)
        #expect(Linux.Namespaces.mount.rawValue == 0x0002_0000)
        #expect(Linux.Namespaces([.uts, .ipc]).rawValue == 0x0C00_0000)
    }
}
