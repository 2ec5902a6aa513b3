// BPFInterpreter: a tiny eBPF interpreter for exactly the instructions DeviceFilter emits, so the
// generated programs can be run against sample device accesses without loading them.
import Sys

/// Runs device programs against a `struct bpf_cgroup_dev_ctx`.
struct BPFInterpreter {
    /// Why a program could not be run.
    struct Fault: Error, CustomStringConvertible {
        let description: String
    }

    /// A device access as the kernel presents it.
    struct Access {
        /// 1 block, 2 char (BPF_DEVCG_DEV_*).
        var type: UInt32
        var major: UInt32
        var minor: UInt32
        /// Bits: 1 mknod, 2 read, 4 write (BPF_DEVCG_ACC_*).
        var access: UInt32

        /// "c 1:3 rw" style.
        init(_ type: Character, _ major: UInt32, _ minor: UInt32, _ access: String) {
            self.type = type == "b" ? 1 : 2
            self.major = major
            self.minor = minor
            self.access = (access.contains("m") ? 1 : 0) | (access.contains("r") ? 2 : 0) | (access.contains("w") ? 4 : 0)
        }
    }

    /// Runs `program` for `access` and returns r0 (1 allow, 0 deny). Only the subset DeviceFilter
    /// uses is understood; anything else, a jump out of the program or a runaway loop is a Fault.
    static func run(_ program: [BPF.Instruction], _ access: Access) throws -> UInt64 {
        let context: [UInt32] = [access.type | access.access << 16, access.major, access.minor]
        var registers = [UInt64](repeating: 0, count: 11)
        var pc = 0
        var steps = 0
        while true {
            guard pc >= 0, pc < program.count else { throw Fault(description: "pc \(pc) outside the program") }
            steps += 1
            guard steps <= 4096 else { throw Fault(description: "too many steps") }
            let insn = program[pc]
            let dst = Int(insn.destination)
            let src = Int(insn.source)
            let imm32 = UInt32(bitPattern: insn.immediate)
            let imm64 = UInt64(bitPattern: Int64(insn.immediate))
            pc += 1
            switch insn.code {
            case 0x61:  // LDX MEM W: only from the context in r1
                guard src == 1, insn.offset >= 0, insn.offset % 4 == 0, Int(insn.offset) / 4 < context.count else {
                    throw Fault(description: "bad load \(insn)")
                }
                registers[dst] = UInt64(context[Int(insn.offset) / 4])
            case 0x54: registers[dst] = UInt64(UInt32(truncatingIfNeeded: registers[dst]) & imm32)
            case 0x74: registers[dst] = UInt64(UInt32(truncatingIfNeeded: registers[dst]) >> (imm32 & 31))
            case 0xbc: registers[dst] = UInt64(UInt32(truncatingIfNeeded: registers[src]))
            case 0xb4: registers[dst] = UInt64(imm32)
            case 0x55: if registers[dst] != imm64 { pc += Int(insn.offset) }
            case 0x5d: if registers[dst] != registers[src] { pc += Int(insn.offset) }
            case 0x15: if registers[dst] == imm64 { pc += Int(insn.offset) }
            case 0x95: return registers[0]
            default: throw Fault(description: "unsupported opcode \(insn)")
            }
        }
    }
}
