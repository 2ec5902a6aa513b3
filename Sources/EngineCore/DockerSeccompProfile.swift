// DockerSeccompProfile: a seccomp profile in docker's JSON format, as `--security-opt
// seccomp=FILE` gives it — the OCI `linux.seccomp` fields plus, per rule, `name` (one syscall)
// as an alternative to `names`, a `comment`, and `includes`/`excludes` filters on the container's
// capabilities (`caps`), the CPU architecture (`arches`, docker's names: amd64, arm64, ...) and
// the kernel (`minKernel`, "major.minor"); and `archMap`, the architectures to list per native
// one. `resolve` keeps the rules whose filters the container passes and yields the OCI object
// the runtime compiles, as dockerd does. Names, actions and operators are checked when the
// profile is parsed, so a bad file fails `create`, not the container's start.
import Errdefs
import Foundation
import OCI

/// A docker-format seccomp profile.
struct DockerSeccompProfile: Decodable, Sendable {
    var defaultAction: String?
    var defaultErrnoRet: UInt32?
    var architectures: [String]?
    var archMap: [ArchitectureEntry]?
    var flags: [String]?
    var listenerPath: String?
    var listenerMetadata: String?
    var syscalls: [Rule]?

    /// Architectures to list when running on `architecture` (`archMap[]`).
    struct ArchitectureEntry: Decodable, Sendable {
        var architecture: String
        var subArchitectures: [String]?
    }

    /// One rule (`syscalls[]`).
    struct Rule: Decodable, Sendable {
        var name: String?
        var names: [String]?
        var action: String
        var errnoRet: UInt32?
        var args: [LinuxSeccompArg]?
        var comment: String?
        var includes: Filter?
        var excludes: Filter?
    }

    /// When a rule applies (`includes`: all of it must hold) or does not (`excludes`: any of it).
    struct Filter: Decodable, Sendable {
        var caps: [String]?
        var arches: [String]?
        var minKernel: MinimumKernel?
    }

    /// `minKernel`: "major.minor" ("" means none).
    struct MinimumKernel: Decodable, Sendable {
        var version: KernelVersion?

        init(from decoder: Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            if text.isEmpty { version = nil; return }
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0,
                  major + minor > 0 else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "invalid kernel version \"\(text)\", expected \"<major>.<minor>\""))
            }
            version = KernelVersion(major, minor)
        }
    }

    /// Largest profile accepted (docker's own is about 20 KiB; the profile travels in the
    /// container's record and spec, which ttrpc caps at 4 MiB a message).
    static let maximumSize = 1 << 20

    /// Parses and checks a profile. Errors are invalidArgument and say what is wrong where.
    static func parse(_ json: String) throws(CoreError) -> DockerSeccompProfile {
        guard json.utf8.count <= maximumSize else {
            throw CoreError(.invalidArgument, "seccomp profile is \(json.utf8.count) bytes, more than \(maximumSize)")
        }
        let profile: DockerSeccompProfile
        do {
            profile = try JSONDecoder().decode(DockerSeccompProfile.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw CoreError(.invalidArgument, "decoding seccomp profile failed: \(describe(error))")
        } catch {
            throw CoreError(.invalidArgument, "decoding seccomp profile failed: \(error)")
        }
        try profile.check()
        return profile
    }

    /// The structural rules docker enforces plus the names the runtime would refuse.
    func check() throws(CoreError) {
        func invalid(_ message: String) -> CoreError { CoreError(.invalidArgument, "seccomp profile: \(message)") }
        if let defaultAction, !defaultAction.isEmpty, !LinuxSeccomp.knownActions.contains(defaultAction) {
            throw invalid("defaultAction \"\(defaultAction)\" is not a seccomp action")
        }
        if (defaultAction ?? "").isEmpty && !(syscalls ?? []).isEmpty {
            throw invalid("defaultAction is missing")
        }
        if !(architectures ?? []).isEmpty && !(archMap ?? []).isEmpty {
            throw invalid("both 'architectures' and 'archMap' are given, use one of them")
        }
        for name in (architectures ?? []) + (archMap ?? []).flatMap({ [$0.architecture] + ($0.subArchitectures ?? []) })
        where !name.hasPrefix("SCMP_ARCH_") {
            throw invalid("architecture \"\(name)\" is not a SCMP_ARCH_* name")
        }
        for (index, rule) in (syscalls ?? []).enumerated() {
            let field = "syscalls[\(index)]"
            if rule.name != nil && !(rule.names ?? []).isEmpty {
                throw invalid("\(field): both 'name' and 'names' are given, use one of them")
            }
            guard LinuxSeccomp.knownActions.contains(rule.action) else {
                throw invalid("\(field).action \"\(rule.action)\" is not a seccomp action")
            }
            for (argIndex, arg) in (rule.args ?? []).enumerated() {
                guard LinuxSeccomp.knownOperators.contains(arg.op) else {
                    throw invalid("\(field).args[\(argIndex)].op \"\(arg.op)\" is not a seccomp operator")
                }
                guard arg.index <= 5 else { throw invalid("\(field).args[\(argIndex)].index \(arg.index) is not 0...5") }
            }
        }
    }

    /// The OCI profile for a container with bounding set `capabilities` on `architecture` and
    /// `kernel`; nil when the profile has neither a default action nor rules (docker's
    /// "seccomp disabled").
    func resolve(capabilities: [String], architecture: SeccompArchitecture = .native,
                 kernel: KernelVersion = .running) -> LinuxSeccomp? {
        let rules = syscalls ?? []
        if (defaultAction ?? "").isEmpty && rules.isEmpty { return nil }
        let held = Set(capabilities)
        var arches = architectures ?? []
        if let entry = (archMap ?? []).first(where: { $0.architecture == architecture.ociName }) {
            arches += [entry.architecture] + (entry.subArchitectures ?? [])
        }
        var resolved: [LinuxSyscall] = []
        for rule in rules {
            if let excludes = rule.excludes {
                if (excludes.arches ?? []).contains(architecture.dockerName) { continue }
                if (excludes.caps ?? []).contains(where: held.contains) { continue }
                if let minimum = excludes.minKernel?.version, kernel >= minimum { continue }
            }
            if let includes = rule.includes {
                if let only = includes.arches, !only.isEmpty, !only.contains(architecture.dockerName) { continue }
                if !(includes.caps ?? []).allSatisfy(held.contains) { continue }
                if let minimum = includes.minKernel?.version, kernel < minimum { continue }
            }
            let names = rule.name.map { [$0] } ?? rule.names ?? []
            resolved.append(LinuxSyscall(names: names, action: rule.action, errnoRet: rule.errnoRet, args: rule.args))
        }
        return LinuxSeccomp(defaultAction: defaultAction ?? "", defaultErrnoRet: defaultErrnoRet,
                            architectures: arches.isEmpty ? nil : arches, flags: flags,
                            listenerPath: listenerPath, listenerMetadata: listenerMetadata,
                            syscalls: resolved)
    }

    /// "syscalls[2].args[0].op: ..." rather than Foundation's description of the error.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.reduce(into: "") { text, key in
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(type), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case .dataCorrupted(let context):
            let at = path(context.codingPath)
            return at.isEmpty ? context.debugDescription : "\(at): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
