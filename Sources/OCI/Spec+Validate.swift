// Spec+Validate: the checks berth-runtime makes before it creates anything, so that a bad bundle
// fails with one message naming the offending field ("config.json: process.cwd must be an absolute
// path") instead of an errno from deep inside init. The rules follow runtime-spec config.md and
// config-linux.md ("MUST generate an error") and runc's libcontainer/configs/validate.
import Errdefs

extension Spec {
    /// Propagation modes accepted for `linux.rootfsPropagation` (runc's mount propagation table).
    static let propagationModes: Set<String> = [
        "shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable",
    ]

    /// Checks the config for a Linux container; throws `.invalidArgument` naming the first bad field.
    public func validate() throws(CoreError) {
        guard ociVersion.hasPrefix("1.") else {
            throw invalid("ociVersion \"\(ociVersion)\" is not supported (must start with \"1.\")")
        }
        guard let root, !root.path.isEmpty else { throw invalid("root.path is required") }
        guard let process else { throw invalid("process is required") }
        try validate(process: process)
        try validateMounts()
        try validateHooks()
        let linux = self.linux ?? LinuxConfig()
        try validate(linux: linux)
        if hostname.map({ !$0.isEmpty }) ?? false, linux.namespace(.uts) == nil {
            throw invalid("hostname requires a uts namespace")
        }
        if domainname.map({ !$0.isEmpty }) ?? false, linux.namespace(.uts) == nil {
            throw invalid("domainname requires a uts namespace")
        }
    }

    private func validate(process: Process) throws(CoreError) {
        guard let args = process.args, !args.isEmpty else { throw invalid("process.args must not be empty") }
        if args[0].isEmpty { throw invalid("process.args[0] must not be empty") }
        guard process.cwd.hasPrefix("/") else { throw invalid("process.cwd must be an absolute path") }
        for (index, entry) in (process.env ?? []).enumerated() {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw invalid("process.env[\(index)] \"\(entry)\" must have the form KEY=value")
            }
        }
        var limitTypes: Set<String> = []
        for (index, limit) in (process.rlimits ?? []).enumerated() {
            let field = "process.rlimits[\(index)]"
            guard limit.type.hasPrefix("RLIMIT_") else {
                throw invalid("\(field).type \"\(limit.type)\" is not an rlimit type")
            }
            guard limitTypes.insert(limit.type).inserted else {
                throw invalid("\(field).type \"\(limit.type)\" is given more than once")
            }
            guard limit.soft <= limit.hard else { throw invalid("\(field).soft must not exceed hard") }
        }
        if let score = process.oomScoreAdj, !(-1000...1000).contains(score) {
            throw invalid("process.oomScoreAdj \(score) is outside -1000...1000")
        }
        if let caps = process.capabilities {
            let sets = [("bounding", caps.bounding), ("effective", caps.effective),
                        ("inheritable", caps.inheritable), ("permitted", caps.permitted), ("ambient", caps.ambient)]
            for (name, list) in sets {
                for (index, cap) in (list ?? []).enumerated() where !cap.hasPrefix("CAP_") {
                    throw invalid("process.capabilities.\(name)[\(index)] \"\(cap)\" is not a capability name")
                }
            }
        }
        if let priority = process.ioPriority, !(0...7).contains(priority.priority) {
            throw invalid("process.ioPriority.priority \(priority.priority) is outside 0...7")
        }
    }

    private func validateMounts() throws(CoreError) {
        for (index, mount) in (mounts ?? []).enumerated() {
            guard mount.destination.hasPrefix("/") else {
                throw invalid("mounts[\(index)].destination \"\(mount.destination)\" must be an absolute path")
            }
        }
    }

    private func validateHooks() throws(CoreError) {
        for (phase, hooks) in hooks?.all ?? [] {
            for (index, hook) in hooks.enumerated() {
                let field = "hooks.\(phase)[\(index)]"
                guard hook.path.hasPrefix("/") else { throw invalid("\(field).path must be an absolute path") }
                if let timeout = hook.timeout, timeout <= 0 { throw invalid("\(field).timeout must be positive") }
            }
        }
    }

    private func validate(linux: LinuxConfig) throws(CoreError) {
        var seen: Set<LinuxNamespaceType> = []
        for (index, namespace) in (linux.namespaces ?? []).enumerated() {
            guard seen.insert(namespace.type).inserted else {
                throw invalid("linux.namespaces[\(index)].type \"\(namespace.type.rawValue)\" is given more than once")
            }
            if let path = namespace.path, !path.hasPrefix("/") {
                throw invalid("linux.namespaces[\(index)].path must be an absolute path")
            }
        }
        let user = linux.namespace(.user)
        for (name, mappings) in [("uidMappings", linux.uidMappings), ("gidMappings", linux.gidMappings)] {
            let list = mappings ?? []
            if !list.isEmpty, user == nil { throw invalid("linux.\(name) given without a user namespace") }
            if list.isEmpty, let user, user.path == nil {
                throw invalid("linux.\(name) is required with a new user namespace")
            }
            for (index, mapping) in list.enumerated() where mapping.size == 0 {
                throw invalid("linux.\(name)[\(index)].size must be positive")
            }
        }
        if let offsets = linux.timeOffsets, !offsets.isEmpty, linux.namespace(.time) == nil {
            throw invalid("linux.timeOffsets given without a time namespace")
        }
        if let mode = linux.rootfsPropagation, !mode.isEmpty, !Spec.propagationModes.contains(mode) {
            throw invalid("linux.rootfsPropagation \"\(mode)\" is not a propagation mode")
        }
        for (name, paths) in [("maskedPaths", linux.maskedPaths), ("readonlyPaths", linux.readonlyPaths)] {
            for (index, path) in (paths ?? []).enumerated() where !path.hasPrefix("/") {
                throw invalid("linux.\(name)[\(index)] \"\(path)\" must be an absolute path")
            }
        }
        try validateDevices(linux.devices ?? [])
        try validate(resources: linux.resources)
        if let seccomp = linux.seccomp { try validate(seccomp: seccomp) }
    }

    private func validateDevices(_ devices: [LinuxDevice]) throws(CoreError) {
        for (index, device) in devices.enumerated() {
            let field = "linux.devices[\(index)]"
            guard device.path.hasPrefix("/") else { throw invalid("\(field).path must be an absolute path") }
            guard ["c", "b", "u", "p"].contains(device.type) else {
                throw invalid("\(field).type \"\(device.type)\" is not a device type (c, b, u or p)")
            }
            if device.type != "p", device.major == nil || device.minor == nil {
                throw invalid("\(field).major and minor are required for type \"\(device.type)\"")
            }
        }
    }

    private func validate(resources: LinuxResources?) throws(CoreError) {
        for (index, rule) in (resources?.devices ?? []).enumerated() {
            let field = "linux.resources.devices[\(index)]"
            if let type = rule.type, !["a", "c", "b"].contains(type) {
                throw invalid("\(field).type \"\(type)\" is not a device type (a, c or b)")
            }
            if let access = rule.access, !access.allSatisfy({ "rwm".contains($0) }) {
                throw invalid("\(field).access \"\(access)\" may only contain r, w and m")
            }
        }
    }

    private func validate(seccomp: LinuxSeccomp) throws(CoreError) {
        guard LinuxSeccomp.knownActions.contains(seccomp.defaultAction) else {
            throw invalid("linux.seccomp.defaultAction \"\(seccomp.defaultAction)\" is not a seccomp action")
        }
        var notifies = seccomp.defaultAction == "SCMP_ACT_NOTIFY"
        for (index, rule) in (seccomp.syscalls ?? []).enumerated() {
            let field = "linux.seccomp.syscalls[\(index)]"
            guard !rule.names.isEmpty else { throw invalid("\(field).names must not be empty") }
            guard LinuxSeccomp.knownActions.contains(rule.action) else {
                throw invalid("\(field).action \"\(rule.action)\" is not a seccomp action")
            }
            notifies = notifies || rule.action == "SCMP_ACT_NOTIFY"
            for (argIndex, arg) in (rule.args ?? []).enumerated() {
                guard LinuxSeccomp.knownOperators.contains(arg.op) else {
                    throw invalid("\(field).args[\(argIndex)].op \"\(arg.op)\" is not a seccomp operator")
                }
                guard arg.index < 6 else { throw invalid("\(field).args[\(argIndex)].index must be 0...5") }
            }
        }
        if notifies, (seccomp.listenerPath ?? "").isEmpty {
            throw invalid("linux.seccomp.listenerPath is required with SCMP_ACT_NOTIFY")
        }
    }

    private func invalid(_ message: String) -> CoreError {
        CoreError(.invalidArgument, "config.json: \(message)")
    }
}
