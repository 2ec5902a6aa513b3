// DeviceFilter: the cgroup v2 device controller is an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. This generates it from OCI device rules the
// way runc's devicefilter.go does (itself after crun's ebpf.c): the rules are first reduced by the
// DeviceEmulator to a default plus exceptions, then each exception becomes one block of compares.
//
// Program shape (R1 = struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }):
//
//     r2 = *(u32 *)(r1 + 0); w2 &= 0xffff     // device type: 1 block, 2 char
//     r3 = *(u32 *)(r1 + 0); w3 >>= 16        // access: 1 mknod, 2 read, 4 write
//     r4 = *(u32 *)(r1 + 4)                   // major
//     r5 = *(u32 *)(r1 + 8)                   // minor
//   block i (one per exception):
//     if r2 != TYPE goto block i+1
//     w1 = w3; w1 &= ACCESS; if r1 != r3 goto block i+1   (allow exception; skipped for rwm)
//     w1 = w3; w1 &= ACCESS; if r1 == 0 goto block i+1    (deny exception; skipped for rwm)
//     if r4 != MAJOR goto block i+1                        (skipped for a wildcard major)
//     if r5 != MINOR goto block i+1                        (skipped for a wildcard minor)
//     w0 = !DEFAULT; exit
//   final:
//     w0 = DEFAULT; exit
//
// Every exception has the same verdict (the opposite of the default), so their order does not
// matter and the last-match-wins semantics of the rule list are already folded in by the emulator.
//
// The access test follows the v1 kernel (security/device_cgroup.c): on an allow-list one
// exception must cover every requested bit (match_exception), on a deny-list any overlap denies
// (match_exception_partial). runc and crun use the first test for both, which lets an O_RDWR open
// through a "deny w" rule on a deny-list; berth does not copy that.
import Errdefs
import OCI
import Sys

/// Generates the eBPF device program for a cgroup v2 directory.
public enum DeviceFilter {
    /// The license the program is loaded under (runc uses "Apache"; any GPL-compatible string
    /// is needed only for GPL-only helpers, which this program does not call).
    public static let license = "Apache"

    /// The program for `rules` (applied in order to a deny-all cgroup, as cgroup v1 would).
    public static func program(for rules: [LinuxDeviceCgroup]) throws(CoreError) -> [BPF.Instruction] {
        var parsed: [DeviceRule] = []
        for rule in rules { parsed.append(try DeviceRule(rule)) }
        return try program(for: parsed)
    }

    /// The program for already validated `rules`.
    public static func program(for rules: [DeviceRule]) throws(CoreError) -> [BPF.Instruction] {
        let state = try DeviceEmulator(rules: rules)
        var program = prologue
        for rule in state.exceptionRules {
            program += block(for: rule)
        }
        program += verdict(state.defaultAllow)
        return program
    }

    // Opcodes (linux/bpf_common.h + linux/bpf.h): class | operation | source.
    static let loadWord: UInt8 = 0x61  // BPF_LDX | BPF_MEM | BPF_W
    static let andImmediate32: UInt8 = 0x54  // BPF_ALU | BPF_AND | BPF_K
    static let shiftRightImmediate32: UInt8 = 0x74  // BPF_ALU | BPF_RSH | BPF_K
    static let moveRegister32: UInt8 = 0xbc  // BPF_ALU | BPF_MOV | BPF_X
    static let moveImmediate32: UInt8 = 0xb4  // BPF_ALU | BPF_MOV | BPF_K
    static let jumpNotEqualImmediate: UInt8 = 0x55  // BPF_JMP | BPF_JNE | BPF_K
    static let jumpNotEqualRegister: UInt8 = 0x5d  // BPF_JMP | BPF_JNE | BPF_X
    static let jumpEqualImmediate: UInt8 = 0x15  // BPF_JMP | BPF_JEQ | BPF_K
    static let exit: UInt8 = 0x95  // BPF_JMP | BPF_EXIT

    /// Loads type, access, major and minor into r2..r5.
    static let prologue: [BPF.Instruction] = [
        BPF.Instruction(code: loadWord, destination: 2, source: 1, offset: 0),
        BPF.Instruction(code: andImmediate32, destination: 2, immediate: 0xffff),
        BPF.Instruction(code: loadWord, destination: 3, source: 1, offset: 0),
        BPF.Instruction(code: shiftRightImmediate32, destination: 3, immediate: 16),
        BPF.Instruction(code: loadWord, destination: 4, source: 1, offset: 4),
        BPF.Instruction(code: loadWord, destination: 5, source: 1, offset: 8),
    ]

    /// `w0 = allow ? 1 : 0; exit`.
    static func verdict(_ allow: Bool) -> [BPF.Instruction] {
        [BPF.Instruction(code: moveImmediate32, destination: 0, immediate: allow ? 1 : 0), BPF.Instruction(code: exit)]
    }

    /// One exception: compares that jump past the block on mismatch, then the verdict.
    static func block(for rule: DeviceRule) -> [BPF.Instruction] {
        // BPF_DEVCG_DEV_BLOCK = 1, BPF_DEVCG_DEV_CHAR = 2; the emulator never yields "a" here.
        let type: Int32 = rule.kind == .block ? 1 : 2
        var checks = [BPF.Instruction(code: jumpNotEqualImmediate, destination: 2, immediate: type)]
        if rule.access != .all {
            // BPF_DEVCG_ACC_MKNOD = 1, READ = 2, WRITE = 4: every requested bit must be covered.
            var bits: Int32 = 0
            if rule.access.contains(.mknod) { bits |= 1 }
            if rule.access.contains(.read) { bits |= 2 }
            if rule.access.contains(.write) { bits |= 4 }
            checks += [
                BPF.Instruction(code: moveRegister32, destination: 1, source: 3),
                BPF.Instruction(code: andImmediate32, destination: 1, immediate: bits),
                rule.allow
                    ? BPF.Instruction(code: jumpNotEqualRegister, destination: 1, source: 3)  // not all covered
                    : BPF.Instruction(code: jumpEqualImmediate, destination: 1, immediate: 0),  // no overlap
            ]
        }
        if let major = rule.major {
            checks.append(BPF.Instruction(code: jumpNotEqualImmediate, destination: 4, immediate: Int32(clamping: major)))
        }
        if let minor = rule.minor {
            checks.append(BPF.Instruction(code: jumpNotEqualImmediate, destination: 5, immediate: Int32(clamping: minor)))
        }
        var block = checks + verdict(rule.allow)
        // Each jump skips to the first instruction after this block.
        let jumps: Set<UInt8> = [jumpNotEqualImmediate, jumpNotEqualRegister, jumpEqualImmediate]
        for index in block.indices where jumps.contains(block[index].code) {
            block[index].offset = Int16(block.count - index - 1)
        }
        return block
    }
}
