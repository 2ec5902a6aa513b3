// SeccompProfileTests: OCI seccomp profiles compiled to BPF without loading anything into the test
// process (a loaded filter would be irreversible and inherited). The exported program is run by a
// small classic-BPF interpreter over hand-made `struct seccomp_data`, so the tests check what the
// kernel would decide, not only that libseccomp produced bytes.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import LinuxSecurity
import OCI
import TestSupport
import Testing

@testable import RuntimeCore

@Suite(.offPool) struct SeccompProfileTests {
    /// A Docker-like profile: deny by default with EPERM, allow a list, personality only with
    /// argument 0, clone only without namespace flags, one syscall name no libseccomp knows.
    static let dockerLike = LinuxSeccomp(
        defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
        architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        syscalls: [
            LinuxSyscall(
                names: ["read", "write", "openat", "close", "exit_group", "getpid", "execve", "brk", "mmap",
                        "no_such_syscall_berth"],
                action: "SCMP_ACT_ALLOW"),
            LinuxSyscall(names: ["personality"], action: "SCMP_ACT_ALLOW",
                         args: [LinuxSeccompArg(index: 0, value: 0, op: "SCMP_CMP_EQ")]),
            LinuxSyscall(names: ["clone"], action: "SCMP_ACT_ALLOW",
                         args: [LinuxSeccompArg(index: 0, value: 0x7E02_0000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")]),
            LinuxSyscall(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: UInt32(ENOSYS)),
        ])

    // Return values of a seccomp filter (<linux/seccomp.h>).
    static let retAllow: UInt32 = 0x7fff_0000
    static let retErrno: UInt32 = 0x0005_0000
    static let retKillProcess: UInt32 = 0x8000_0000
    static let archX86_64: UInt32 = 0xC000_003E

    @Test func dockerLikeProfileCompilesToBPF() throws {
        let profile = SeccompProfile(Self.dockerLike)
        let program = try profile.compile()
        #expect(!program.instructions.isEmpty)
        #expect(program.instructions.count % 8 == 0)
        #expect(program.flags == [])
        #expect(profile.unknownSyscalls == ["no_such_syscall_berth"])
    }

    @Test func compiledFilterDecidesLikeTheProfile() throws {
        let program = try SeccompProfile(Self.dockerLike).compile()
        func run(_ name: String, _ args: [UInt64] = []) throws -> UInt32? {
            let number = try #require(Seccomp.syscallNumber(name))
            return BPFInterpreter.run(program.instructions, syscall: number, arch: Self.archX86_64, args: args)
        }
        #expect(try run("read") == Self.retAllow)
        #expect(try run("getpid") == Self.retAllow)
        #expect(try run("personality", [0]) == Self.retAllow)
        #expect(try run("personality", [8]) == Self.retErrno | 1)
        #expect(try run("clone", [UInt64(SIGCHLD)]) == Self.retAllow)
        #expect(try run("clone", [0x1000_0000 | UInt64(SIGCHLD)]) == Self.retErrno | 1)  // CLONE_NEWUSER
        #expect(try run("clone3") == Self.retErrno | UInt32(ENOSYS))
        #expect(try run("reboot") == Self.retErrno | 1)
        // An architecture the filter does not list is killed (libseccomp's bad-arch action).
        let number = try #require(Seccomp.syscallNumber("read"))
        #expect(BPFInterpreter.run(program.instructions, syscall: number, arch: 0xC000_00B7, args: []) == 0)
    }

    @Test func argumentConditionsChangeTheProgram() throws {
        var plain = Self.dockerLike
        plain.syscalls?[1].args = nil
        #expect(try SeccompProfile(plain).compile() != SeccompProfile(Self.dockerLike).compile())
    }

    @Test func repeatedArgumentIndexBecomesSeparateRules() throws {
        let args = [
            LinuxSeccompArg(index: 0, value: 1, op: "SCMP_CMP_EQ"),
            LinuxSeccompArg(index: 0, value: 2, op: "SCMP_CMP_EQ"),
        ]
        let groups = try SeccompProfile.conditionGroups(args, syscall: "personality")
        #expect(groups.count == 2 && groups.allSatisfy { $0.count == 1 })
        let distinct = [LinuxSeccompArg(index: 0, value: 1, op: "SCMP_CMP_EQ"), LinuxSeccompArg(index: 1, value: 2, op: "SCMP_CMP_NE")]
        #expect(try SeccompProfile.conditionGroups(distinct, syscall: "x").map(\.count) == [2])

        // Either value is allowed: the rules are alternatives.
        let spec = LinuxSeccomp(defaultAction: "SCMP_ACT_KILL_PROCESS", syscalls: [
            LinuxSyscall(names: ["personality"], action: "SCMP_ACT_ALLOW", args: args),
        ])
        let program = try SeccompProfile(spec).compile()
        let number = try #require(Seccomp.syscallNumber("personality"))
        for (value, expected) in [(1, Self.retAllow), (2, Self.retAllow), (3, Self.retKillProcess)] {
            #expect(BPFInterpreter.run(program.instructions, syscall: number, arch: Self.archX86_64, args: [UInt64(value)]) == expected)
        }
    }

    @Test func ruleWithTheDefaultActionIsSkipped() throws {
        let spec = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
            LinuxSyscall(names: ["getpid"], action: "SCMP_ACT_ALLOW"),
            LinuxSyscall(names: ["reboot"], action: "SCMP_ACT_ERRNO"),
        ])
        let program = try SeccompProfile(spec).compile()
        let reboot = try #require(Seccomp.syscallNumber("reboot"))
        #expect(BPFInterpreter.run(program.instructions, syscall: reboot, arch: Self.archX86_64, args: []) == Self.retErrno | UInt32(EPERM))
    }

    @Test func actionsMapToLibseccomp() throws {
        #expect(try SeccompProfile.action("SCMP_ACT_ERRNO", errnoRet: nil) == .errno(EPERM))
        #expect(try SeccompProfile.action("SCMP_ACT_ERRNO", errnoRet: 38) == .errno(38))
        #expect(try SeccompProfile.action("SCMP_ACT_TRACE", errnoRet: nil) == .trace(UInt16(EPERM)))
        #expect(try SeccompProfile.action("SCMP_ACT_KILL", errnoRet: nil) == .killThread)
        #expect(try SeccompProfile.action("SCMP_ACT_KILL_THREAD", errnoRet: nil) == .killThread)
        #expect(try SeccompProfile.action("SCMP_ACT_KILL_PROCESS", errnoRet: nil) == .killProcess)
        #expect(try SeccompProfile.action("SCMP_ACT_ALLOW", errnoRet: 5) == .allow)
        #expect(try SeccompProfile.action("SCMP_ACT_LOG", errnoRet: nil) == .log)
        #expect(try SeccompProfile.action("SCMP_ACT_TRAP", errnoRet: nil) == .trap)
        let notify = #expect(throws: CoreError.self) { try SeccompProfile.action("SCMP_ACT_NOTIFY", errnoRet: nil) }
        #expect(notify?.code == .unimplemented)
    }

    @Test func architecturesAndFlagsMap() throws {
        #expect(try SeccompProfile.architecture("SCMP_ARCH_X86_64") == "x86_64")
        #expect(try SeccompProfile.architecture("SCMP_ARCH_AARCH64") == "aarch64")
        #expect(try SeccompProfile.flags(["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]) == [.log, .specAllow])
        #expect(try SeccompProfile.flags(["SECCOMP_FILTER_FLAG_TSYNC"]) == .tsync)
        var logged = Self.dockerLike
        logged.flags = ["SECCOMP_FILTER_FLAG_LOG"]
        #expect(try SeccompProfile(logged).compile().flags == .log)
    }

    @Test(arguments: [
        (LinuxSeccomp(defaultAction: "SCMP_ACT_FOO"), "SCMP_ACT_FOO"),
        (LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_VAX"]), "SCMP_ARCH_VAX"),
        (LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", architectures: ["x86_64"]), "x86_64"),
        (LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_BOGUS"]), "SECCOMP_FILTER_FLAG_BOGUS"),
        (LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", syscalls: [
            LinuxSyscall(names: ["read"], action: "SCMP_ACT_ALLOW", args: [LinuxSeccompArg(index: 0, value: 1, op: "SCMP_CMP_ALMOST")]),
        ]), "SCMP_CMP_ALMOST"),
        (LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", syscalls: [
            LinuxSyscall(names: ["read"], action: "SCMP_ACT_ALLWO"),
        ]), "SCMP_ACT_ALLWO"),
        (LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO", syscalls: [
            LinuxSyscall(names: ["read"], action: "SCMP_ACT_ALLOW", args: [LinuxSeccompArg(index: 6, value: 1, op: "SCMP_CMP_EQ")]),
        ]), "argument index 6"),
    ])
    func invalidProfileNamesTheCulprit(spec: LinuxSeccomp, culprit: String) {
        let error = #expect(throws: CoreError.self) { try SeccompProfile(spec).compile() }
        #expect(error?.message.contains(culprit) == true, "\(String(describing: error))")
    }

    @Test func processSetupReportsSeccompStage() {
        let setup = ProcessSetup(process: Process(args: ["/bin/true"]), seccomp: LinuxSeccomp(defaultAction: "SCMP_ACT_NOPE"), env: [])
        let failure = #expect(throws: ChildFailure.self) { try setup.prepareSeccomp() }
        #expect(failure?.stage == "seccomp")
        #expect(failure?.message.contains("\"SCMP_ACT_NOPE\"") == true)
    }

    @Test func prepareSeccompCompilesOnce() throws {
        let setup = ProcessSetup(process: Process(args: ["/bin/true"]), seccomp: Self.dockerLike, env: [])
        let first = try #require(try setup.prepareSeccomp())
        let second = try #require(try setup.prepareSeccomp())
        #expect(first == second)
        #expect(try ProcessSetup(process: Process(args: ["/bin/true"]), seccomp: nil, env: []).prepareSeccomp() == nil)
    }
}

/// Runs a classic BPF seccomp program over a `struct seccomp_data` (nr, arch, ip, args[6]; little
/// endian), covering the instructions libseccomp emits. nil for an instruction it does not know
/// or a program that falls off its end.
private enum BPFInterpreter {
    static func run(_ bytes: [UInt8], syscall: Int32, arch: UInt32, args: [UInt64]) -> UInt32? {
        var data = [UInt8](repeating: 0, count: 64)
        func put32(_ value: UInt32, at offset: Int) {
            for i in 0..<4 { data[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
        }
        put32(UInt32(bitPattern: syscall), at: 0)
        put32(arch, at: 4)
        for (i, arg) in args.prefix(6).enumerated() {
            put32(UInt32(truncatingIfNeeded: arg), at: 16 + 8 * i)
            put32(UInt32(truncatingIfNeeded: arg >> 32), at: 20 + 8 * i)
        }
        func load32(_ offset: Int) -> UInt32? {
            guard offset >= 0, offset + 4 <= data.count else { return nil }
            return (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[offset + $1]) << (8 * UInt32($1)) }
        }

        var a: UInt32 = 0
        var x: UInt32 = 0
        var memory = [UInt32](repeating: 0, count: 16)
        var pc = 0
        let count = bytes.count / 8
        while pc < count {
            let base = pc * 8
            let code = UInt16(bytes[base]) | UInt16(bytes[base + 1]) << 8
            let jt = Int(bytes[base + 2])
            let jf = Int(bytes[base + 3])
            let k = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[base + 4 + $1]) << (8 * UInt32($1)) }
            pc += 1
            func jump(_ condition: Bool) { pc += condition ? jt : jf }
            switch code {
            case 0x20: guard let value = load32(Int(k)) else { return nil }; a = value  // LD W ABS
            case 0x00: a = k  // LD IMM
            case 0x01: x = k  // LDX IMM
            case 0x60: a = memory[Int(k) & 15]  // LD MEM
            case 0x61: x = memory[Int(k) & 15]  // LDX MEM
            case 0x02: memory[Int(k) & 15] = a  // ST
            case 0x03: memory[Int(k) & 15] = x  // STX
            case 0x04: a &+= k  // ADD K
            case 0x14: a &-= k  // SUB K
            case 0x44: a |= k  // OR K
            case 0x54: a &= k  // AND K
            case 0x07: x = a  // TAX
            case 0x87: a = x  // TXA
            case 0x05: pc += Int(k)  // JA
            case 0x15: jump(a == k)
            case 0x25: jump(a > k)
            case 0x35: jump(a >= k)
            case 0x45: jump(a & k != 0)
            case 0x1d: jump(a == x)
            case 0x2d: jump(a > x)
            case 0x3d: jump(a >= x)
            case 0x4d: jump(a & x != 0)
            case 0x06: return k  // RET K
            case 0x16: return a  // RET A
            default: return nil
            }
        }
        return nil
    }
}
