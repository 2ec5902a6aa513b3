// MountSpecs: a container's mounts as its create request asks for them — `-v` strings
// (HostConfig.binds), `--mount`/`--tmpfs` (HostConfig.mounts) and the anonymous volume paths
// (ContainerConfig.volumes: the image's VOLUMEs and `-v /path`) — parsed and checked by docker's
// rules into one list of wanted mounts, before anything is created. Engine+Mounts.swift makes
// them real (volumes created, bind sources checked) and MountTable puts them in the OCI spec.
import API
import Errdefs

/// One mount a container asked for.
struct WantedMount: Equatable {
    enum Kind: Equatable {
        /// A named (or, with an empty name, anonymous) volume.
        case volume(name: String, labels: [String: String], copy: Bool)
        /// A host path; `create`: a missing source is made (-v), else it is an error (--mount).
        case bind(source: String, create: Bool)
        /// A tmpfs with its mount options (size=, mode=, noexec, …).
        case tmpfs(options: [String])
    }

    var kind: Kind
    var destination: String
    var readOnly = false
    /// The mode as the user wrote it (inspect's Mode), e.g. "ro,z".
    var mode = ""
    /// bind propagation: "rprivate" unless given.
    var propagation = ""
}

enum MountSpecs {
    static let propagations: Set<String> = ["private", "rprivate", "shared", "rshared", "slave", "rslave"]

    /// Everything the request asks for, duplicates refused; anonymous paths already covered (by
    /// these or by `inherited`, the --volumes-from destinations) are left out.
    static func wanted(binds: [String], mounts: [Engine_Mount], anonymous: [String],
                       inherited: Set<String> = []) throws(CoreError) -> [WantedMount] {
        var result: [WantedMount] = []
        func add(_ mount: WantedMount) throws(CoreError) {
            if result.contains(where: { $0.destination == mount.destination }) {
                throw CoreError(.invalidArgument, "Duplicate mount point: \(mount.destination)")
            }
            result.append(mount)
        }
        for bind in binds { try add(try parseBind(bind)) }
        for mount in mounts { try add(try parseMount(mount)) }
        for path in anonymous {
            let destination = try cleanDestination(path, spec: path)
            if inherited.contains(destination) || result.contains(where: { $0.destination == destination }) { continue }
            result.append(WantedMount(kind: .volume(name: "", labels: [:], copy: true), destination: destination))
        }
        return result
    }

    /// `-v [SOURCE:]DESTINATION[:OPTIONS]`: SOURCE an absolute host path (a bind) or a volume name.
    static func parseBind(_ spec: String) throws(CoreError) -> WantedMount {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), !parts.contains(where: \.isEmpty) else {
            throw CoreError(.invalidArgument, "invalid volume specification: '\(spec)'")
        }
        if parts.count == 1 {
            return WantedMount(kind: .volume(name: "", labels: [:], copy: true), destination: try cleanDestination(parts[0], spec: spec))
        }
        let source = parts[0]
        let destination = try cleanDestination(parts[1], spec: spec)
        let options = parts.count == 3 ? parts[2].split(separator: ",").map(String.init) : []
        var mount: WantedMount
        if source.hasPrefix("/") {
            mount = WantedMount(kind: .bind(source: normalize(source), create: true), destination: destination)
            mount.propagation = "rprivate"
        } else {
            guard VolumeStore.isValidName(source) else {
                throw CoreError(.invalidArgument, "create \(source): \"\(source)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")
            }
            mount = WantedMount(kind: .volume(name: source, labels: [:], copy: true), destination: destination)
        }
        var access = 0
        for option in options {
            switch option {
            case "ro", "rw":
                access += 1
                mount.readOnly = option == "ro"
            case "z", "Z": break  // SELinux relabelling: accepted, nothing to do without SELinux
            case "nocopy":
                guard case .volume(let name, let labels, _) = mount.kind else { throw invalidMode(spec) }
                mount.kind = .volume(name: name, labels: labels, copy: false)
            case _ where propagations.contains(option):
                guard case .bind = mount.kind else { throw invalidMode(spec) }
                mount.propagation = option
            default:
                throw invalidMode(spec)
            }
        }
        guard access <= 1 else { throw invalidMode(spec) }
        mount.mode = parts.count == 3 ? parts[2] : ""
        return mount
    }

    private static func invalidMode(_ spec: String) -> CoreError {
        let mode = spec.split(separator: ":").last.map(String.init) ?? spec
        return CoreError(.invalidArgument, "invalid mode: \(mode)")
    }

    /// One `--mount` (or `--tmpfs`, sent as type tmpfs with its options text).
    static func parseMount(_ mount: Engine_Mount) throws(CoreError) -> WantedMount {
        guard !mount.target.isEmpty else { throw CoreError(.invalidArgument, "invalid mount config: Target must not be empty") }
        let destination = try cleanDestination(mount.target, spec: mount.target)
        func refuse(_ field: String) -> CoreError {
            CoreError(.invalidArgument, "invalid mount config for type \"\(mount.type)\": field \(field) must not be specified")
        }
        var wanted: WantedMount
        switch mount.type {
        case "volume":
            if !mount.bindPropagation.isEmpty { throw refuse("BindOptions") }
            if mount.tmpfsSize != 0 || mount.tmpfsMode != 0 || !mount.tmpfsOptions.isEmpty { throw refuse("TmpfsOptions") }
            if !mount.source.isEmpty && !VolumeStore.isValidName(mount.source) {
                throw CoreError(.invalidArgument, "invalid mount config for type \"volume\": invalid volume name \"\(mount.source)\"")
            }
            wanted = WantedMount(kind: .volume(name: mount.source, labels: mount.volumeLabels, copy: !mount.volumeNocopy), destination: destination)
        case "bind":
            if mount.volumeNocopy || !mount.volumeLabels.isEmpty { throw refuse("VolumeOptions") }
            if mount.tmpfsSize != 0 || mount.tmpfsMode != 0 || !mount.tmpfsOptions.isEmpty { throw refuse("TmpfsOptions") }
            guard mount.source.hasPrefix("/") else {
                throw CoreError(.invalidArgument, "invalid mount config for type \"bind\": invalid mount path: '\(mount.source)' mount path must be absolute")
            }
            wanted = WantedMount(kind: .bind(source: normalize(mount.source), create: false), destination: destination)
            let propagation = mount.bindPropagation.isEmpty ? "rprivate" : mount.bindPropagation
            guard propagations.contains(propagation) else {
                throw CoreError(.invalidArgument, "invalid mount config for type \"bind\": invalid propagation mode: \(propagation)")
            }
            wanted.propagation = propagation
        case "tmpfs":
            if !mount.source.isEmpty { throw refuse("Source") }
            if !mount.bindPropagation.isEmpty { throw refuse("BindOptions") }
            if mount.volumeNocopy || !mount.volumeLabels.isEmpty { throw refuse("VolumeOptions") }
            var options = mount.tmpfsOptions.split(separator: ",").map(String.init)
            if mount.tmpfsSize > 0 { options.append("size=\(mount.tmpfsSize)") }
            if mount.tmpfsMode != 0 { options.append("mode=\(String(mount.tmpfsMode, radix: 8))") }
            wanted = WantedMount(kind: .tmpfs(options: options), destination: destination)
            wanted.readOnly = options.contains("ro")
        default:
            throw CoreError(.invalidArgument, "invalid mount config: mount type unknown: \"\(mount.type)\"")
        }
        if mount.readOnly { wanted.readOnly = true }
        return wanted
    }

    /// An absolute, cleaned container path other than "/".
    static func cleanDestination(_ path: String, spec: String) throws(CoreError) -> String {
        guard path.hasPrefix("/") else {
            throw CoreError(.invalidArgument, "invalid mount config: invalid mount path: '\(path)' mount path must be absolute")
        }
        let cleaned = normalize(path)
        guard cleaned != "/" else { throw CoreError(.invalidArgument, "invalid specification: destination can't be '/' in '\(spec)'") }
        return cleaned
    }

    /// "/a//b/./c/../d/" → "/a/b/d".
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
