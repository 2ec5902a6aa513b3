// SpecValidationTests: every rule in Spec.validate() rejects one mistake with a message that
// starts with "config.json: " and names the exact field path.
import Errdefs
import OCI
import Testing

@Suite struct SpecValidationTests {
    /// One mistake applied to a valid default config, and the field path its message must name.
    struct Case: Sendable, CustomTestStringConvertible {
        let field: String
        let expected: String
        let mutate: @Sendable (inout Spec) -> Void
        var testDescription: String { field }
    }

    static let cases: [Case] = [
        Case(field: "ociVersion", expected: #"ociVersion "2.0.0" is not supported"#) { $0.ociVersion = "2.0.0" },
        Case(field: "root.path", expected: "root.path is required") { $0.root = nil },
        Case(field: "root.path (empty)", expected: "root.path is required") { $0.root?.path = "" },
        Case(field: "process", expected: "process is required") { $0.process = nil },
        Case(field: "process.args", expected: "process.args must not be empty") { $0.process?.args = [] },
        Case(field: "process.args (absent)", expected: "process.args must not be empty") { $0.process?.args = nil },
        Case(field: "process.cwd", expected: "process.cwd must be an absolute path") { $0.process?.cwd = "work" },
        Case(field: "process.env[2]", expected: #"process.env[2] "NOVALUE" must have the form KEY=value"#) {
            $0.process?.env?.append("NOVALUE")
        },
        Case(field: "process.rlimits[1].type", expected: #"process.rlimits[1].type "RLIMIT_NOFILE" is given more than once"#) {
            $0.process?.rlimits?.append(POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1, soft: 1))
        },
        Case(field: "process.rlimits[0].soft", expected: "process.rlimits[0].soft must not exceed hard") {
            $0.process?.rlimits = [POSIXRlimit(type: "RLIMIT_CORE", hard: 1, soft: 2)]
        },
        Case(field: "process.oomScoreAdj", expected: "process.oomScoreAdj 1001 is outside -1000...1000") {
            $0.process?.oomScoreAdj = 1001
        },
        Case(field: "process.capabilities.effective[0]",
             expected: #"process.capabilities.effective[0] "kill" is not a capability name"#) {
            $0.process?.capabilities?.effective = ["kill"]
        },
        Case(field: "mounts[2].destination", expected: #"mounts[2].destination "dev/shm" must be an absolute path"#) {
            $0.mounts?[2].destination = "dev/shm"
        },
        Case(field: "hooks.poststop[0].path", expected: "hooks.poststop[0].path must be an absolute path") {
            $0.hooks = Hooks(poststop: [Hook(path: "cleanup.sh")])
        },
        Case(field: "hooks.createRuntime[1].timeout", expected: "hooks.createRuntime[1].timeout must be positive") {
            $0.hooks = Hooks(createRuntime: [Hook(path: "/bin/a"), Hook(path: "/bin/b", timeout: 0)])
        },
        Case(field: "linux.namespaces[6].type", expected: #"linux.namespaces[6].type "pid" is given more than once"#) {
            $0.linux?.namespaces?.append(LinuxNamespace(type: .pid))
        },
        Case(field: "linux.namespaces[0].path", expected: "linux.namespaces[0].path must be an absolute path") {
            $0.linux?.namespaces?[0].path = "proc/1/ns/pid"
        },
        Case(field: "linux.uidMappings", expected: "linux.uidMappings given without a user namespace") {
            $0.linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        },
        Case(field: "linux.gidMappings", expected: "linux.gidMappings is required with a new user namespace") {
            $0.linux?.namespaces?.append(LinuxNamespace(type: .user))
            $0.linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        },
        Case(field: "linux.uidMappings[0].size", expected: "linux.uidMappings[0].size must be positive") {
            $0.linux?.namespaces?.append(LinuxNamespace(type: .user))
            $0.linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 0)]
            $0.linux?.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        },
        Case(field: "linux.timeOffsets", expected: "linux.timeOffsets given without a time namespace") {
            $0.linux?.timeOffsets = ["monotonic": LinuxTimeOffset(secs: 10)]
        },
        Case(field: "hostname", expected: "hostname requires a uts namespace") {
            $0.linux?.namespaces?.removeAll { $0.type == .uts }
        },
        Case(field: "linux.rootfsPropagation", expected: #"linux.rootfsPropagation "sideways" is not a propagation mode"#) {
            $0.linux?.rootfsPropagation = "sideways"
        },
        Case(field: "linux.maskedPaths[0]", expected: #"linux.maskedPaths[0] "proc/kcore" must be an absolute path"#) {
            $0.linux?.maskedPaths?[0] = "proc/kcore"
        },
        Case(field: "linux.devices[0].type", expected: #"linux.devices[0].type "x" is not a device type"#) {
            $0.linux?.devices = [LinuxDevice(path: "/dev/x", type: "x", major: 1, minor: 1)]
        },
        Case(field: "linux.devices[0].major", expected: #"linux.devices[0].major and minor are required for type "c""#) {
            $0.linux?.devices = [LinuxDevice(path: "/dev/null", type: "c")]
        },
        Case(field: "linux.resources.devices[1].access",
             expected: #"linux.resources.devices[1].access "rwx" may only contain r, w and m"#) {
            $0.linux?.resources?.devices?.append(LinuxDeviceCgroup(allow: true, type: "c", access: "rwx"))
        },
        Case(field: "linux.seccomp.defaultAction",
             expected: #"linux.seccomp.defaultAction "SCMP_ACT_NOPE" is not a seccomp action"#) {
            $0.linux?.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_NOPE")
        },
        Case(field: "linux.seccomp.syscalls[0].args[0].op",
             expected: #"linux.seccomp.syscalls[0].args[0].op "SCMP_CMP_ABOUT" is not a seccomp operator"#) {
            $0.linux?.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW", syscalls: [
                LinuxSyscall(names: ["clone"], action: "SCMP_ACT_ERRNO",
                             args: [LinuxSeccompArg(index: 0, value: 1, op: "SCMP_CMP_ABOUT")]),
            ])
        },
        Case(field: "linux.seccomp.listenerPath", expected: "linux.seccomp.listenerPath is required with SCMP_ACT_NOTIFY") {
            $0.linux?.seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW",
                                             syscalls: [LinuxSyscall(names: ["mount"], action: "SCMP_ACT_NOTIFY")])
        },
    ]

    @Test func baseConfigIsValid() throws {
        try Fixtures.validSpec().validate()
    }

    @Test(arguments: cases)
    func rejectsWithFieldPath(_ testCase: Case) {
        var spec = Fixtures.validSpec()
        testCase.mutate(&spec)
        let error = #expect(throws: CoreError.self) { try spec.validate() }
        #expect(error?.code == .invalidArgument)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("config.json: \(testCase.expected)"), "got: \(message)")
        let path = testCase.field.split(separator: " ").first.map(String.init) ?? testCase.field
        #expect(message.contains(path), "message does not name \(path): \(message)")
    }

    @Test func joinedUserNamespaceNeedsNoMappings() throws {
        var spec = Fixtures.validSpec()
        spec.linux?.namespaces?.append(LinuxNamespace(type: .user, path: "/proc/1234/ns/user"))
        try spec.validate()
    }
}
