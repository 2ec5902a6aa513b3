// DeviceFilterTests: the cgroup v2 device program — emulator semantics (last match wins, like
// cgroup v1), instruction counts and encoding, and verdicts computed by BPFInterpreter.
import Errdefs
import Glibc
import OCI
import Sys
import Testing

@testable import Cgroups

@Suite struct DeviceFilterTests {
    typealias Rule = LinuxDeviceCgroup
    typealias Access = BPFInterpreter.Access

    /// The rules runc gives a default container: deny all, then the usual device nodes.
    static let defaultRules = [
        Rule(allow: false, access: "rwm"),
        Rule(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),  // /dev/null
        Rule(allow: true, type: "c", major: 1, minor: 5, access: "rwm"),  // /dev/zero
        Rule(allow: true, type: "c", major: 5, minor: 0, access: "rwm"),  // /dev/tty
        Rule(allow: true, type: "c", major: 136, access: "rwm"),  // /dev/pts/*
        Rule(allow: true, type: "c", access: "m"),  // mknod any char device
        Rule(allow: true, type: "b", access: "m"),  // mknod any block device
    ]

    func verdict(_ program: [BPF.Instruction], _ type: Character, _ major: UInt32, _ minor: UInt32, _ access: String) throws -> Bool {
        try BPFInterpreter.run(program, Access(type, major, minor, access)) == 1
    }

    @Test func noRulesDeniesEverything() throws {
        let program = try DeviceFilter.program(for: [Rule]())
        #expect(program.count == 8)
        #expect(try !verdict(program, "c", 1, 3, "r"))
        #expect(try !verdict(program, "b", 8, 0, "m"))
    }

    @Test func allowAllIsOneVerdict() throws {
        let program = try DeviceFilter.program(for: [Rule(allow: true)])
        #expect(program.count == 8)
        #expect(try verdict(program, "c", 10, 200, "rwm"))
        #expect(try verdict(program, "b", 8, 0, "w"))
    }

    @Test func prologueEncoding() throws {
        let program = try DeviceFilter.program(for: [Rule]())
        // r2 = *(u32 *)(r1 + 0): code 0x61, dst 2 in the low nibble, src 1 in the high nibble.
        #expect(program[0].encoded == 0x1261)
        #expect(program[1].encoded == 0x0000_ffff_0000_0254)
        #expect(program[4].encoded == 0x0004_1461)
        #expect(program[5].encoded == 0x0008_1561)
        #expect(program[6] == BPF.Instruction(code: 0xb4, destination: 0, immediate: 0))
        #expect(program[7] == BPF.Instruction(code: 0x95))
    }

    @Test func defaultContainerRules() throws {
        let program = try DeviceFilter.program(for: Self.defaultRules)
        // 6 prologue; 3 full-access rules with major and minor (5 each); c 136:* (4);
        // c *:* m and b *:* m with an access check (6 each); 2 for the default verdict.
        #expect(program.count == 6 + 3 * 5 + 4 + 2 * 6 + 2)
        #expect(try verdict(program, "c", 1, 3, "r"))
        #expect(try verdict(program, "c", 1, 3, "rw"))
        #expect(try verdict(program, "c", 1, 5, "rwm"))
        #expect(try !verdict(program, "c", 1, 4, "r"))
        #expect(try verdict(program, "c", 136, 7, "rw"))
        #expect(try !verdict(program, "c", 10, 200, "rw"))
        #expect(try verdict(program, "c", 10, 200, "m"))
        #expect(try !verdict(program, "b", 8, 0, "r"))
        #expect(try verdict(program, "b", 8, 0, "m"))
        #expect(try !verdict(program, "b", 8, 0, "rm"))
    }

    @Test func lastMatchWins() throws {
        let program = try DeviceFilter.program(for: [
            Rule(allow: false), Rule(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
            Rule(allow: false, type: "c", major: 1, minor: 3, access: "w"),
        ])
        #expect(try verdict(program, "c", 1, 3, "r"))
        #expect(try verdict(program, "c", 1, 3, "m"))
        #expect(try !verdict(program, "c", 1, 3, "w"))
        #expect(try !verdict(program, "c", 1, 3, "rw"))
    }

    @Test func laterAllResetsEarlierRules() throws {
        let program = try DeviceFilter.program(for: [Rule(allow: true, type: "c", major: 1, minor: 3), Rule(allow: false)])
        #expect(program.count == 8)
        #expect(try !verdict(program, "c", 1, 3, "r"))
    }

    @Test func denyListMode() throws {
        let program = try DeviceFilter.program(for: [Rule(allow: true), Rule(allow: false, type: "b", major: 8, access: "w")])
        // As in v1's match_exception_partial: any requested bit the exception covers denies.
        #expect(program.last(where: { $0.code == 0x15 }) == BPF.Instruction(code: 0x15, destination: 1, offset: 3, immediate: 0))
        #expect(try verdict(program, "c", 1, 3, "rw"))
        #expect(try verdict(program, "b", 8, 0, "r"))
        #expect(try !verdict(program, "b", 8, 16, "w"))
        #expect(try !verdict(program, "b", 8, 16, "rw"))
        #expect(try verdict(program, "b", 9, 0, "w"))
    }

    @Test func refusesToPunchHolesInWildcards() {
        #expect(throws: CoreError.self) {
            try DeviceFilter.program(for: [Rule(allow: false), Rule(allow: true, type: "c", access: "rwm"), Rule(allow: false, type: "c", major: 1, minor: 3, access: "r")])
        }
    }

    @Test func refusesInvalidRules() {
        #expect(throws: CoreError.self) { try DeviceFilter.program(for: [Rule(allow: true, type: "p")]) }
        #expect(throws: CoreError.self) { try DeviceFilter.program(for: [Rule(allow: true, type: "c", access: "rx")]) }
        #expect(throws: CoreError.self) { try DeviceFilter.program(for: [Rule(allow: true, type: "c", major: 1 << 40)]) }
    }

    @Test func jumpsStayInsideTheProgram() throws {
        let program = try DeviceFilter.program(for: Self.defaultRules)
        for (index, insn) in program.enumerated() where [0x55, 0x5d, 0x15].contains(insn.code) {
            let target = index + 1 + Int(insn.offset)
            #expect(target > index && target < program.count)
        }
        #expect(program.last == BPF.Instruction(code: 0x95))
    }

    @Test func theKernelVerifierAcceptsIt() throws {
        guard getuid() == 0 else { return }
        let program = try DeviceFilter.program(for: Self.defaultRules)
        let fd = try BPF.loadProgram(instructions: program, type: .cgroupDevice, license: DeviceFilter.license)
        #expect(fd.isOpen)
        try fd.close()
    }

    @Test func theVerifierReportsBadPrograms() throws {
        guard getuid() == 0 else { return }
        // No exit: the verifier must refuse it, and the error must say so.
        let bad = [BPF.Instruction(code: 0xb4, destination: 0, immediate: 1)]
        do {
            _ = try BPF.loadProgram(instructions: bad, type: .cgroupDevice)
            Issue.record("expected the verifier to refuse the program")
        } catch {
            #expect(error.cause?.call == "bpf(BPF_PROG_LOAD)")
        }
    }
}
