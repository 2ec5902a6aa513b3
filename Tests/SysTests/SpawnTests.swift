// SpawnTests: Spawn/berth_spawn against real programs — output, errors with stage and errno,
// descriptor mapping with overlaps, no leaked descriptors, sessions and exit statuses.
import Errdefs
import Glibc
import Sys
import TestSupport
import Testing

@Suite("Spawn", .offPool)
struct SpawnTests {
    /// Runs `spawn` with stdout on a pipe and returns (output, exit status).
    private func run(_ spawn: Spawn) throws -> (String, Sys.ExitStatus) {
        let null = try TestSupport.devNull()
        let output = try Pipe()
        var spawn = spawn
        spawn.fileDescriptors = [null.rawValue, output.writeEnd.rawValue, null.rawValue]
        let pid = try withExtendedLifetime(null) { try spawn.start() }
        // Our copy of the write end must go, or the read below never sees end of file.
        try output.writeEnd.close()
        let text = String(decoding: try output.readEnd.readToEnd(), as: UTF8.self)
        return (text, try Spawn.waitForExit(pid))
    }

    @Test func echoWritesHelloToMappedStdout() throws {
        let (text, status) = try run(Spawn(executable: "/bin/echo", arguments: ["hello"]))
        #expect(text == "hello\n")
        #expect(status == .exited(0))
    }

    @Test func executableIsResolvedThroughThePathOfTheEnvironment() throws {
        let spawn = Spawn(executable: "echo", arguments: ["found"], environment: ["PATH=/nonexistent:/usr/bin:/bin"])
        #expect(try spawn.resolvedExecutable().hasSuffix("/echo"))
        let (text, _) = try run(spawn)
        #expect(text == "found\n")
    }

    @Test func missingExecutablePathFailsWithENOENTFromExecve() throws {
        let path = "/nonexistent/berth-missing-program"
        let error = #expect(throws: CoreError.self) { try Spawn(executable: path).start() }
        #expect(error?.code == .notFound)
        #expect(error?.cause?.call == "execve")
        #expect(error?.cause?.path == path)
        #expect(error?.cause?.errno == ENOENT)
    }

    @Test func missingExecutableNameFailsBeforeFork() throws {
        let spawn = Spawn(executable: "berth-no-such-program", environment: ["PATH=/usr/bin:/bin"])
        let error = #expect(throws: CoreError.self) { try spawn.start() }
        #expect(error?.cause?.errno == ENOENT)
        #expect(error?.cause?.path == "berth-no-such-program")
    }

    @Test func missingWorkingDirectoryFailsAtChdir() throws {
        var spawn = Spawn(executable: "/bin/true")
        spawn.workingDirectory = "/nonexistent/berth-missing-dir"
        let error = #expect(throws: CoreError.self) { try spawn.start() }
        #expect(error?.cause?.call == "chdir")
        #expect(error?.cause?.path == "/nonexistent/berth-missing-dir")
        #expect(error?.cause?.errno == ENOENT)
    }

    @Test func environmentAndWorkingDirectoryReachTheChild() throws {
        #expect(try run(Spawn(executable: "/usr/bin/env", environment: ["BERTH_TEST=1"])).0 == "BERTH_TEST=1\n")
        var pwd = Spawn(executable: "/bin/pwd")
        pwd.workingDirectory = "/usr"
        #expect(try run(pwd).0 == "/usr\n")
    }

    @Test func exitCodesAndSignalsAreReported() throws {
        let (_, status) = try run(Spawn(executable: "/bin/sh", arguments: ["-c", "exit 3"]))
        #expect(status == .exited(3))
        let (_, killed) = try run(Spawn(executable: "/bin/sh", arguments: ["-c", "kill -9 $$"]))
        #expect(killed == .signaled(SIGKILL))
        #expect(killed.code == 137)
    }

    /// Sources that are also targets: child fd A must get the parent's B and vice versa, which an
    /// in-order dup2 gets wrong (it overwrites A before copying it to B).
    @Test func overlappingDescriptorMapIsSwappedCorrectly() throws {
        let null = try TestSupport.devNull()
        let p = try Pipe()
        let q = try Pipe()
        let a = try p.writeEnd.duplicate(atLeast: 100)  // parent fd a → pipe p
        let b = try q.writeEnd.duplicate(atLeast: 100)  // parent fd b → pipe q
        var map = [Int32](repeating: null.rawValue, count: Int(max(a.rawValue, b.rawValue)) + 1)
        map[Int(a.rawValue)] = b.rawValue  // child fd a → pipe q
        map[Int(b.rawValue)] = a.rawValue  // child fd b → pipe p
        let script = "echo to-a > /proc/self/fd/\(a.rawValue); echo to-b > /proc/self/fd/\(b.rawValue)"
        var spawn = Spawn(executable: "/bin/sh", arguments: ["-c", script])
        spawn.fileDescriptors = map
        let pid = try withExtendedLifetime((null, a, b)) { try spawn.start() }
        for end in [a, b, p.writeEnd, q.writeEnd] { try end.close() }
        let fromP = String(decoding: try p.readEnd.readToEnd(), as: UTF8.self)
        let fromQ = String(decoding: try q.readEnd.readToEnd(), as: UTF8.self)
        #expect(try Spawn.waitForExit(pid) == .exited(0))
        #expect(fromQ == "to-a\n")
        #expect(fromP == "to-b\n")
    }

    @Test func childSeesOnlyTheMappedDescriptors() throws {
        let null = try TestSupport.devNull()
        let extra = try Pipe()
        // A descriptor without FD_CLOEXEC, as a careless library would leave one.
        let leaky = FileDescriptor(adopting: dup(null.rawValue))
        #expect(try leaky.isCloseOnExec() == false)
        var spawn = Spawn(executable: "/bin/sleep", arguments: ["30"])
        spawn.fileDescriptors = [null.rawValue, null.rawValue, null.rawValue, extra.writeEnd.rawValue]
        let pid = try withExtendedLifetime((null, leaky)) { try spawn.start() }
        defer { TestSupport.killAndReap(pid) }
        // start() returns after execve, but the dynamic loader then opens ld.so.cache and the
        // libraries for a moment (they take the next free number, 4), so a leak is a descriptor
        // that is still there once sleep is asleep: poll until the table settles.
        var table = TestSupport.listDirectory("/proc/\(pid)/fd")
        for _ in 0..<200 where table != ["0", "1", "2", "3"] {
            usleep(10_000)
            table = TestSupport.listDirectory("/proc/\(pid)/fd")
        }
        #expect(table == ["0", "1", "2", "3"])
    }

    @Test func newSessionMakesTheChildASessionLeader() throws {
        let null = try TestSupport.devNull()
        var spawn = Spawn(executable: "/bin/sleep", arguments: ["30"])
        spawn.fileDescriptors = [null.rawValue, null.rawValue, null.rawValue]
        spawn.options = .newSession
        let pid = try withExtendedLifetime(null) { try spawn.start() }
        defer { TestSupport.killAndReap(pid) }
        let fields = try TestSupport.procStat(pid)
        #expect(fields[2] == "\(pid)")  // process group
        #expect(fields[3] == "\(pid)")  // session
    }

    @Test func newProcessGroupKeepsTheSession() throws {
        let null = try TestSupport.devNull()
        var spawn = Spawn(executable: "/bin/sleep", arguments: ["30"])
        spawn.fileDescriptors = [null.rawValue, null.rawValue, null.rawValue]
        spawn.options = .newProcessGroup
        spawn.parentDeathSignal = SIGKILL
        let pid = try withExtendedLifetime(null) { try spawn.start() }
        defer { TestSupport.killAndReap(pid) }
        let fields = try TestSupport.procStat(pid)
        #expect(fields[2] == "\(pid)")
        #expect(fields[3] == "\(getsid(0))")
    }

    @Test func contradictoryOptionsAreRejectedBeforeFork() throws {
        var spawn = Spawn(executable: "/bin/true")
        spawn.options = [.newSession, .newProcessGroup]
        let error = #expect(throws: CoreError.self) { try spawn.start() }
        #expect(error?.code == .invalidArgument)
        #expect(error?.cause?.errno == EINVAL)
    }

    @Test func sourceDescriptorThatIsNotOpenIsEBADF() throws {
        var spawn = Spawn(executable: "/bin/true")
        spawn.fileDescriptors = [0, 1, 60_000]  // far above anything the test process opens
        let error = #expect(throws: CoreError.self) { try spawn.start() }
        #expect(error?.cause?.call == "spawn attributes")
        #expect(error?.cause?.errno == EBADF)
    }

    @Test func waitStatusDecoding() {
        #expect(Sys.ExitStatus(waitStatus: 0x0300) == .exited(3))
        #expect(Sys.ExitStatus(waitStatus: 9) == .signaled(9))
        #expect(Sys.ExitStatus(waitStatus: 0x89) == .signaled(9))  // with core dump bit
        #expect(Sys.ExitStatus(waitStatus: 0x137f) == nil)  // stopped by SIGSTOP
        #expect(Sys.ExitStatus(waitStatus: 0xffff) == nil)  // continued
    }
}
