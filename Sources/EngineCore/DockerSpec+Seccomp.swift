// DockerSpec+Seccomp: the `--security-opt` values berth-engine understands and the seccomp
// profile they choose for a container:
//   no-new-privileges[:true|=true]      set process.noNewPrivileges
//   seccomp=unconfined                  no filter
//   seccomp=builtin                     berth's default profile, even with --privileged
//   seccomp=/absolute/path.json         a docker-format profile read by the engine at create
//   seccomp={...}                       the profile itself, as docker's CLI sends it
// (":" works in place of "=", as in docker's old syntax). At create the file is read and the
// option rewritten to carry the JSON, so the container keeps its profile if the file changes
// or goes, and `inspect` shows what it runs with (as docker's does). Without a seccomp option
// the default profile applies, unless --privileged, which runs unfiltered unless a profile is
// named. The path is the engine's: a relative one is refused, since the engine cannot know the
// client's working directory.
import API
import Errdefs
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OCI

extension DockerSpec {
    /// What a container's seccomp option asks for.
    enum SeccompChoice: Equatable {
        case unconfined
        case builtin
        /// A docker-format profile (the JSON text).
        case profile(String)
    }

    /// The value of a `seccomp=X` / `seccomp:X` option, nil for any other option.
    static func seccompValue(_ option: String) -> String? {
        for prefix in ["seccomp=", "seccomp:"] where option.hasPrefix(prefix) {
            return String(option.dropFirst(prefix.count))
        }
        return nil
    }

    /// The choice the options make (the last seccomp option counts, as with docker); nil when
    /// they make none.
    static func seccompChoice(_ options: [String]) -> SeccompChoice? {
        guard let value = options.compactMap(seccompValue).last else { return nil }
        switch value {
        case "unconfined": return .unconfined
        case "builtin": return .builtin
        default: return .profile(value)
        }
    }

    /// Checks the security options of a container being created and returns them as stored:
    /// a seccomp profile named by path replaced by its content. Unknown options are refused.
    static func securityOptions(_ options: [String]) throws(CoreError) -> [String] {
        var result: [String] = []
        for option in options {
            if ["no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"].contains(option) {
                result.append(option)
                continue
            }
            guard let value = seccompValue(option) else {
                throw CoreError(.unimplemented, "security option \(option) is not supported yet")
            }
            switch value {
            case "unconfined", "builtin":
                result.append(option)
            case "":
                throw CoreError(.invalidArgument, "invalid --security-opt \(option): the seccomp profile is missing")
            default:
                let json = isInlineProfile(value) ? value : try readProfile(atPath: value)
                _ = try DockerSeccompProfile.parse(json)
                result.append("seccomp=" + json)
            }
        }
        return result
    }

    /// The seccomp filter of a container: none with `seccomp=unconfined`, or with --privileged
    /// unless a profile is named; the profile named; else berth's default for its capabilities.
    static func seccomp(_ host: Engine_HostConfig, capabilities: [String]) throws(CoreError) -> LinuxSeccomp? {
        switch seccompChoice(host.securityOpt) {
        case .unconfined?:
            return nil
        case .builtin?:
            return DefaultSeccompProfile.make(capabilities: capabilities)
        case .profile(let json)?:
            return try DockerSeccompProfile.parse(json).resolve(capabilities: capabilities)
        case nil:
            return host.privileged ? nil : DefaultSeccompProfile.make(capabilities: capabilities)
        }
    }

    static func isInlineProfile(_ value: String) -> Bool {
        value.first(where: { !$0.isWhitespace }) == "{"
    }

    /// The text of the profile file at `path` (absolute, a regular file, at most
    /// DockerSeccompProfile.maximumSize bytes, UTF-8).
    static func readProfile(atPath path: String) throws(CoreError) -> String {
        guard path.hasPrefix("/") else {
            throw CoreError(.invalidArgument, "seccomp profile \"\(path)\": give an absolute path (the engine reads the file, not the client)")
        }
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw CoreError(.invalidArgument, "opening seccomp profile \(path) failed: \(Self.reason(error))")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw CoreError(.invalidArgument, "seccomp profile \(path) is not a regular file")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= DockerSeccompProfile.maximumSize else {
            throw CoreError(.invalidArgument, "seccomp profile \(path) is \(size) bytes, more than \(DockerSeccompProfile.maximumSize)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CoreError(.invalidArgument, "reading seccomp profile \(path) failed: \(Self.reason(error))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CoreError(.invalidArgument, "seccomp profile \(path) is not UTF-8 text")
        }
        return text
    }

    private static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}
