// SeccompTests: libseccomp is present and filters compile to BPF. No filter is ever loaded here:
// it would bind the test runner for good (the runtime tests loading inside containers).
import Errdefs
import Glibc
import LinuxSecurity
import Testing

@Suite("Seccomp")
struct SeccompTests {
    @Test func libraryVersionIsAtLeastTwo() {
        let version = Seccomp.libraryVersion()
        #expect(version.major >= 2)
        #expect(version >= SeccompVersion(major: 2, minor: 0, micro: 0))
    }

    @Test func filterExportsWholeBPFInstructions() throws {
        var filter = try SeccompFilter(defaultAction: .allow)
        try filter.add(.errno(EPERM), syscall: "mkdirat")
        try filter.add(.killProcess, syscall: "kexec_load")
        try filter.add(.log, syscall: "ptrace")
        try filter.addArchitecture("x86")
        let bpf = try filter.exportBPF()
        #expect(!bpf.isEmpty)
        #expect(bpf.count % 8 == 0)  // sizeof(struct sock_filter)
    }

    @Test func moreRulesMakeALongerProgram() throws {
        var small = try SeccompFilter(defaultAction: .errno(ENOSYS))
        try small.add(.allow, syscall: "read")
        var large = try SeccompFilter(defaultAction: .errno(ENOSYS))
        for name in ["read", "write", "openat", "close", "exit_group", "mmap"] {
            try large.add(.allow, syscall: name)
        }
        #expect(try large.exportBPF().count > small.exportBPF().count)
    }

    @Test func unknownSyscallIsNotFound() throws {
        var filter = try SeccompFilter(defaultAction: .allow)
        let error = #expect(throws: CoreError.self) { try filter.add(.killThread, syscall: "no_such_syscall") }
        #expect(error?.code == .notFound)
        #expect(Seccomp.syscallNumber("read") != nil)
        #expect(Seccomp.syscallNumber("no_such_syscall") == nil)
    }

    @Test func actionsHaveLibseccompValues() {
        #expect(SeccompAction.allow.rawValue == 0x7fff_0000)
        #expect(SeccompAction.errno(1).rawValue == 0x0005_0001)
        #expect(SeccompAction.killProcess.rawValue == 0x8000_0000)
        #expect(SeccompAction.killThread.rawValue == 0)
        #expect(SeccompAction.trace(7).rawValue == 0x7ff0_0007)
    }
}
