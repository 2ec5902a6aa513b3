// BPF: loading eBPF programs and attaching them to cgroups, for the cgroup v2 device controller
// (which has no devices.allow file: access is decided by a BPF_PROG_TYPE_CGROUP_DEVICE program).
// The bpf(2) attributes are built in C (CLinux/bpf.c) so their layout comes from <linux/bpf.h>.
import CLinux
import Errdefs
import Glibc

/// Namespace for the bpf(2) commands berth uses. Every function throws CoreError whose cause is a
/// SystemCallFailure naming the command ("bpf(BPF_PROG_LOAD)", …) and errno.
public enum BPF {
    /// One eBPF instruction (`struct bpf_insn`): opcode, registers, offset and immediate.
    public struct Instruction: Sendable, Hashable, CustomStringConvertible {
        /// The opcode: class | size/operation | source bits (e.g. 0x61 = LDX MEM W).
        public var code: UInt8
        /// Destination register, 0...10.
        public var destination: UInt8
        /// Source register, 0...10.
        public var source: UInt8
        /// Signed offset: a jump distance in instructions, or a memory offset in bytes.
        public var offset: Int16
        /// Signed 32-bit immediate operand.
        public var immediate: Int32

        /// Creates an instruction from its fields.
        public init(code: UInt8, destination: UInt8 = 0, source: UInt8 = 0, offset: Int16 = 0, immediate: Int32 = 0) {
            self.code = code
            self.destination = destination
            self.source = source
            self.offset = offset
            self.immediate = immediate
        }

        /// The kernel's 8-byte encoding as a little-endian word: code, dst (low nibble) and src
        /// (high nibble), off, imm — the layout of `struct bpf_insn` on little-endian machines.
        public var encoded: UInt64 {
            UInt64(code)
                | UInt64((destination & 0x0f) | (source << 4)) << 8
                | UInt64(UInt16(bitPattern: offset)) << 16
                | UInt64(UInt32(bitPattern: immediate)) << 32
        }

        public var description: String {
            "{code: 0x\(String(code, radix: 16)), dst: r\(destination), src: r\(source), off: \(offset), imm: \(immediate)}"
        }
    }

    /// A program type (`enum bpf_prog_type`).
    public struct ProgramType: RawRepresentable, Sendable, Hashable {
        /// The kernel's value.
        public let rawValue: UInt32
        /// Wraps a kernel value.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// BPF_PROG_TYPE_CGROUP_DEVICE: decides device access for a cgroup v2 subtree.
        public static let cgroupDevice = ProgramType(rawValue: BERTH_BPF_PROG_TYPE_CGROUP_DEVICE)
    }

    /// An attach point (`enum bpf_attach_type`).
    public struct AttachType: RawRepresentable, Sendable, Hashable {
        /// The kernel's value.
        public let rawValue: UInt32
        /// Wraps a kernel value.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// BPF_CGROUP_DEVICE: device access checks of tasks in the cgroup.
        public static let cgroupDevice = AttachType(rawValue: BERTH_BPF_CGROUP_DEVICE)
    }

    /// BPF_PROG_ATTACH flags.
    public struct AttachFlags: OptionSet, Sendable, Hashable {
        /// The flag bits.
        public let rawValue: UInt32
        /// The set with flag bits `rawValue`.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// BPF_F_ALLOW_OVERRIDE: a descendant may replace this program with its own.
        public static let allowOverride = AttachFlags(rawValue: BERTH_BPF_F_ALLOW_OVERRIDE)
        /// BPF_F_ALLOW_MULTI: several programs may be attached; all of them must allow.
        public static let allowMulti = AttachFlags(rawValue: BERTH_BPF_F_ALLOW_MULTI)
    }

    /// Loads `instructions` as a program of `type` (BPF_PROG_LOAD) and returns its descriptor.
    /// When the verifier rejects the program, the error message carries the verifier's log.
    public static func loadProgram(
        instructions: [Instruction], type: ProgramType, license: String = "Apache"
    ) throws(CoreError) -> FileDescriptor {
        let words = instructions.map(\.encoded)
        /// The new descriptor, or -1 and the errno read right after the call.
        func load(log: UnsafeMutableBufferPointer<CChar>?) -> (fd: Int32, errno: Int32) {
            words.withUnsafeBytes { insns in
                license.withCString { cLicense in
                    let fd = berth_bpf_prog_load(
                        type.rawValue, insns.baseAddress, UInt32(words.count), cLicense,
                        log?.baseAddress, UInt32(log?.count ?? 0))
                    return (fd, fd < 0 ? Glibc.errno : 0)
                }
            }
        }
        let first = load(log: nil)
        if first.fd >= 0 { return FileDescriptor(adopting: first.fd) }
        let code = first.errno
        // Load again with a log buffer, only to explain the failure (the log costs verifier time).
        var log = [CChar](repeating: 0, count: 16 * 1024)
        let retry = log.withUnsafeMutableBufferPointer { load(log: $0) }
        if retry.fd >= 0 { return FileDescriptor(adopting: retry.fd) }
        let text = log.withUnsafeBufferPointer { buffer in
            String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let failure = SystemCallFailure(call: "bpf(BPF_PROG_LOAD)", errno: code)
        let context = text.isEmpty ? "load BPF program" : "load BPF program (verifier: \(text.split(separator: "\n").suffix(3).joined(separator: "; ")))"
        throw CoreError(failure, context: context)
    }

    /// Attaches `program` to `target` (an open cgroup v2 directory) at `type` (BPF_PROG_ATTACH).
    /// To swap programs without a window, attach the new one with `.allowMulti`, then detach the old.
    public static func attach(
        program: FileDescriptor, target: FileDescriptor, type: AttachType, flags: AttachFlags = []
    ) throws(CoreError) {
        try withRawValues(program, target) { (prog: Int32, cgroup: Int32) throws(CoreError) in
            _ = try checked("bpf(BPF_PROG_ATTACH)") { berth_bpf_prog_attach(cgroup, prog, type.rawValue, flags.rawValue) }
        }
    }

    /// Detaches `program` from `target` at `type` (BPF_PROG_DETACH).
    public static func detach(program: FileDescriptor, target: FileDescriptor, type: AttachType) throws(CoreError) {
        try withRawValues(program, target) { (prog: Int32, cgroup: Int32) throws(CoreError) in
            _ = try checked("bpf(BPF_PROG_DETACH)") { berth_bpf_prog_detach(cgroup, prog, type.rawValue) }
        }
    }

    /// The ids of the programs attached to `target` at `type` (BPF_PROG_QUERY), in run order.
    public static func queryPrograms(target: FileDescriptor, type: AttachType) throws(CoreError) -> [UInt32] {
        var capacity: UInt32 = 16
        while true {
            var ids = [UInt32](repeating: 0, count: Int(capacity))
            var count = capacity
            let (result, code) = target.withRawValue { cgroup in
                ids.withUnsafeMutableBufferPointer { buffer -> (Int32, Int32) in
                    let result = berth_bpf_prog_query(cgroup, type.rawValue, buffer.baseAddress, &count)
                    return (result, result < 0 ? Glibc.errno : 0)
                }
            }
            if result == 0 { return Array(ids.prefix(Int(min(count, capacity)))) }
            guard code == ENOSPC, count > capacity else {
                throw CoreError(SystemCallFailure(call: "bpf(BPF_PROG_QUERY)", errno: code))
            }
            capacity = count
        }
    }

    /// A descriptor for the loaded program with kernel id `id` (BPF_PROG_GET_FD_BY_ID).
    public static func program(id: UInt32) throws(CoreError) -> FileDescriptor {
        FileDescriptor(adopting: try checked("bpf(BPF_PROG_GET_FD_BY_ID)") { berth_bpf_prog_get_fd_by_id(id) })
    }

    /// Calls `body` with both raw descriptors, keeping both alive until it returns.
    private static func withRawValues(
        _ first: FileDescriptor, _ second: FileDescriptor, _ body: (Int32, Int32) throws(CoreError) -> Void
    ) throws(CoreError) {
        try first.withRawValue { (a: Int32) throws(CoreError) in
            try second.withRawValue { (b: Int32) throws(CoreError) in try body(a, b) }
        }
    }
}
