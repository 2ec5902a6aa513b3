// ProcessSetupTests: the parts of the init's process setup that can run inside a multi-threaded test
// runner without changing its credentials, capabilities or seccomp state — name parsing, the
// early-seccomp decision, PATH lookup on a temporary tree, /proc file handling against temporary
// files, and rlimits re-applied at their current values. Applying capabilities, switching users
// and loading filters are left to the container integration tests.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import LinuxSecurity
import OCI
import TestSupport
import Testing

@testable import RuntimeCore

@Suite(.offPool) struct ProcessSetupTests {
    // MARK: rlimits

    @Test func rlimitNamesMapToResourceNumbers() {
        #expect(ProcessSetup.rlimitResource("RLIMIT_CPU") == 0)
        #expect(ProcessSetup.rlimitResource("RLIMIT_CORE") == 4)
        #expect(ProcessSetup.rlimitResource("RLIMIT_NPROC") == 6)
        #expect(ProcessSetup.rlimitResource("RLIMIT_NOFILE") == 7)
        #expect(ProcessSetup.rlimitResource("RLIMIT_AS") == 9)
        #expect(ProcessSetup.rlimitResource("RLIMIT_RTTIME") == 15)
        #expect(ProcessSetup.rlimitResources.count == 16)
        #expect(Set(ProcessSetup.rlimitResources.values) == Set(0...15))
        #expect(ProcessSetup.rlimitResource("RLIMIT_nofile") == nil)
        #expect(ProcessSetup.rlimitResource("NOFILE") == nil)
    }

    @Test func unknownRlimitFailsBeforeAnyLimitChanges() {
        let process = Process(args: ["/bin/true"], rlimits: [
            POSIXRlimit(type: "RLIMIT_CORE", hard: 0, soft: 0),
            POSIXRlimit(type: "RLIMIT_FOO", hard: 1, soft: 1),
        ])
        var before = rlimit()
        getrlimit(__rlimit_resource_t(UInt32(4)), &before)
        let failure = #expect(throws: ChildFailure.self) { try ProcessSetup(process: process, seccomp: nil, env: []).applyRlimits() }
        #expect(failure?.stage == "setrlimit")
        #expect(failure?.message == "unknown rlimit \"RLIMIT_FOO\"")
        var after = rlimit()
        getrlimit(__rlimit_resource_t(UInt32(4)), &after)
        #expect(before.rlim_cur == after.rlim_cur && before.rlim_max == after.rlim_max)
    }

    @Test func rlimitAtItsCurrentValueApplies() throws {
        var current = rlimit()
        #expect(getrlimit(__rlimit_resource_t(UInt32(7)), &current) == 0)
        let process = Process(args: ["/bin/true"], rlimits: [
            POSIXRlimit(type: "RLIMIT_NOFILE", hard: UInt64(current.rlim_max), soft: UInt64(current.rlim_cur)),
        ])
        try ProcessSetup(process: process, seccomp: nil, env: []).applyRlimits()
        var after = rlimit()
        getrlimit(__rlimit_resource_t(UInt32(7)), &after)
        #expect(after.rlim_cur == current.rlim_cur && after.rlim_max == current.rlim_max)
    }

    // MARK: capabilities

    @Test func capabilityNamesParse() throws {
        let plan = try CapabilityPlan(
            bounding: ["CAP_CHOWN", "CAP_NET_RAW", "CAP_SYS_ADMIN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN", "CAP_CHOWN"],
            inheritable: [], ambient: [])
        #expect(plan.bounding == CapabilitySet([.chown, .netRaw, .sysAdmin]))
        #expect(plan.effective == CapabilitySet([.chown]))
        #expect(plan.permitted == CapabilitySet([.chown]))
        #expect(plan.inheritable.isEmpty && plan.ambient.isEmpty && plan.unsupported.isEmpty)
        #expect(try CapabilityPlan.capability(named: "CAP_AUDIT_WRITE") == .auditWrite)
    }

    @Test(arguments: ["CAP_FOO", "cap_chown", "CHOWN", "21", "", "CAP_"])
    func unknownCapabilityNameIsAnError(name: String) {
        let error = #expect(throws: CoreError.self) {
            try CapabilityPlan(bounding: ["CAP_CHOWN", name], effective: [], permitted: [], inheritable: [], ambient: [])
        }
        #expect(error?.message == "unknown capability \"\(name)\"")
        #expect(error?.code == .invalidArgument)
    }

    @Test func unknownCapabilityFailsValidation() {
        let process = Process(args: ["/bin/true"], capabilities: LinuxCapabilities(bounding: ["CAP_KILL"], effective: ["CAP_BOGUS"]))
        let failure = #expect(throws: ChildFailure.self) { try ProcessSetup(process: process, seccomp: nil, env: []).validate() }
        #expect(failure?.stage == "capabilities")
        #expect(failure?.message.contains("unknown capability \"CAP_BOGUS\"") == true)
    }

    @Test func effectiveMustBePermitted() {
        let error = #expect(throws: CoreError.self) {
            try CapabilityPlan(bounding: [], effective: ["CAP_KILL", "CAP_SYS_ADMIN"], permitted: ["CAP_KILL"], inheritable: [], ambient: [])
        }
        #expect(error?.message == "effective capabilities CAP_SYS_ADMIN are not in the permitted set")
    }

    @Test func everySupportedCapabilityRoundTrips() throws {
        for capability in Capability.supported() where Capability(name: capability.name) != nil {
            #expect(try CapabilityPlan.capability(named: capability.name) == capability)
        }
    }

    // MARK: seccomp timing

    @Test func earlySeccompOnlyWithoutNNPAndWithoutSysAdmin() {
        let seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW")
        func needsEarly(nnp: Bool?, uid: UInt32 = 0, effective: [String]?) -> Bool {
            let caps = effective.map { LinuxCapabilities(bounding: $0, effective: $0, permitted: $0) }
            let process = Process(user: User(uid: uid), args: ["/bin/true"], capabilities: caps, noNewPrivileges: nnp)
            return ProcessSetup(process: process, seccomp: seccomp, env: []).needsEarlySeccomp
        }
        #expect(!needsEarly(nnp: true, effective: ["CAP_CHOWN"]))
        #expect(needsEarly(nnp: false, effective: ["CAP_CHOWN"]))
        #expect(needsEarly(nnp: nil, effective: []))
        #expect(!needsEarly(nnp: false, effective: ["CAP_CHOWN", "CAP_SYS_ADMIN"]))
        #expect(!needsEarly(nnp: false, uid: 0, effective: nil))
        #expect(needsEarly(nnp: false, uid: 1000, effective: nil))
        let none = ProcessSetup(process: Process(args: ["/bin/true"], noNewPrivileges: false), seccomp: nil, env: [])
        #expect(!none.needsEarlySeccomp)
    }

    // MARK: lookPath

    @Test func lookPathSearchesPATHForExecutableRegularFiles() throws {
        let root = try TemporaryDirectory()
        try root.makeDirectory("a")
        try root.makeDirectory("b")
        try root.makeDirectory("c")
        try root.makeDirectory("a/tool")  // a directory is never the answer
        try root.write("b/tool", mode: 0o644)  // not executable
        try root.write("c/tool", mode: 0o750)
        try root.write("c/only-group-x", mode: 0o610)
        let path = "PATH=\(root.path)/a:\(root.path)/b:\(root.path)/c/"

        #expect(ProcessSetup.lookPath("tool", env: ["HOME=/", path]) == "\(root.path)/c/tool")
        #expect(ProcessSetup.lookPath("only-group-x", env: [path]) == "\(root.path)/c/only-group-x")
        #expect(ProcessSetup.lookPath("missing", env: [path]) == nil)
        #expect(ProcessSetup.lookPath("", env: [path]) == nil)
        // A name with a slash is checked as is, never searched.
        #expect(ProcessSetup.lookPath("\(root.path)/c/tool", env: []) == "\(root.path)/c/tool")
        #expect(ProcessSetup.lookPath("\(root.path)/b/tool", env: [path]) == nil)
        #expect(ProcessSetup.lookPath("c/tool", env: ["PATH=\(root.path)"]) == nil)
        // The last PATH wins; without one the default PATH is searched.
        #expect(ProcessSetup.lookPath("tool", env: [path, "PATH=\(root.path)/b"]) == nil)
        #expect(ProcessSetup.lookPath("tool", env: ["PATH=\(root.path)/b", path]) == "\(root.path)/c/tool")
        let sh = ProcessSetup.lookPath("sh", env: ["HOME=/"])
        #expect(sh == "/usr/bin/sh" || sh == "/bin/sh")
    }

    // MARK: /proc files

    @Test func setgroupsDenyIsRead() throws {
        let root = try TemporaryDirectory()
        try root.write("deny", mode: 0o644, contents: "deny\n")
        try root.write("allow", mode: 0o644, contents: "allow\n")
        #expect(ProcessSetup.setgroupsDenied(procFile: "\(root.path)/deny"))
        #expect(!ProcessSetup.setgroupsDenied(procFile: "\(root.path)/allow"))
        #expect(!ProcessSetup.setgroupsDenied(procFile: "\(root.path)/missing"))
        #expect(!ProcessSetup.setgroupsDenied())  // the test runner is not in a denying user namespace
    }

    @Test func oomScoreAdjIsWrittenWhenSet() throws {
        let root = try TemporaryDirectory()
        try root.write("oom", mode: 0o644, contents: "untouched")
        let file = "\(root.path)/oom"
        try ProcessSetup(process: Process(args: ["/bin/true"]), seccomp: nil, env: []).applyOOMScoreAdj(path: file)
        #expect(try root.read("oom") == "untouched")
        try ProcessSetup(process: Process(args: ["/bin/true"], oomScoreAdj: -17), seccomp: nil, env: []).applyOOMScoreAdj(path: file)
        #expect(try root.read("oom").hasPrefix("-17"))

        let failure = #expect(throws: ChildFailure.self) {
            try ProcessSetup(process: Process(args: ["/bin/true"], oomScoreAdj: 5), seccomp: nil, env: [])
                .applyOOMScoreAdj(path: "\(root.path)/no/such/dir")
        }
        #expect(failure?.stage == "oom_score_adj" && failure?.errno == ENOENT)
    }

    // MARK: errors

    @Test func coreErrorsBecomeChildFailures() {
        let syscall = CoreError(SystemCallFailure(call: "cap_drop_bound", path: "CAP_NET_RAW", errno: EPERM))
        let failure = ProcessSetup.failure("capset", syscall, detail: "dropping the bounding set")
        #expect(failure == ChildFailure(stage: "capset", path: "", errno: EPERM, message: "dropping the bounding set: cap_drop_bound CAP_NET_RAW"))
        #expect(failure.coreError.message.hasSuffix("(errno 1)"))
        let plain = ProcessSetup.failure("seccomp", CoreError(.invalidArgument, "bad"))
        #expect(plain == ChildFailure(stage: "seccomp", path: "", errno: 0, message: "bad"))
    }
}
