// InspectCommand: `berth inspect` (containers, then images), `berth container inspect`, `berth
// image inspect` — docker's JSON shape (Id, State.Status, Config.Env, HostConfig.RestartPolicy…),
// an array printed indented, or each object through --format.
import API
import ArgumentParser
import Errdefs
import Foundation

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Return low-level information on containers or images.")
    @Option(name: [.customShort("f"), .long], help: "Format output using a template.") var format: String?
    @Option(help: "Only inspect objects of this type (container or image).") var type: String?
    @Argument var names: [String]

    func run() async throws { try await inspect(names, format: format, kind: type) }
}

/// Inspects each name as a container and/or an image; prints docker's JSON array or --format lines.
func inspect(_ names: [String], format: String?, kind: String?) async throws {
    try await withEngine { connection in
        var objects: [[String: Any]] = []
        var failed = false
        for name in names {
            do {
                if kind != "image" {
                    // Only "no such container" moves on: an engine that went away must not read as one.
                    do {
                        objects.append(DockerJSON.container(try await connection.client.inspect(name)))
                        continue
                    } catch let error as CoreError where error.code == .notFound {}
                }
                guard kind != "container" else { throw CoreError(.notFound, "No such container: \(name)") }
                var request = Engine_InspectImageRequest()
                request.name = name
                do {
                    let image: Engine_ImageInspect = try await connection.client.call(EngineAPI.images, "Inspect", request)
                    objects.append(DockerJSON.image(image))
                } catch let error as CoreError where error.code == .notFound {
                    throw CoreError(.notFound, kind == "image" ? "No such image: \(name)" : "No such object: \(name)")
                }
            } catch let error as CoreError {
                failed = true
                FileHandle.standardError.write(Data("Error response from daemon: \(error.message)\n".utf8))
            }
        }
        try printObjects(objects, format: format)
        if failed { throw ExitCode(1) }
    }
}

/// Docker's inspect JSON from the engine's messages.
enum DockerJSON {
    static func container(_ c: Engine_ContainerInspect) -> [String: Any] {
        let state = c.state
        let config = c.config
        let host = c.hostConfig
        return [
            "Id": c.id,
            "Created": rfc3339(c.created.date),
            "Path": c.path,
            "Args": c.args,
            "State": [
                "Status": state.status.dockerName, "Running": state.running, "Paused": state.paused,
                "Restarting": state.restarting, "OOMKilled": state.oomKilled, "Dead": state.dead,
                "Pid": Int(state.pid), "ExitCode": Int(state.exitCode), "Error": state.error,
                "StartedAt": state.hasStartedAt ? rfc3339(state.startedAt.date) : "0001-01-01T00:00:00Z",
                "FinishedAt": state.hasFinishedAt ? rfc3339(state.finishedAt.date) : "0001-01-01T00:00:00Z",
            ] as [String: Any],
            "Image": c.image,
            "ResolvConfPath": c.resolvConfPath,
            "HostnamePath": c.hostnamePath,
            "HostsPath": c.hostsPath,
            "LogPath": c.logPath,
            "Name": "/" + c.name,
            "RestartCount": Int(c.restartCount),
            "Driver": "overlayfs",
            "Mounts": MountJSON.points(c.mounts),
            "NetworkSettings": NetworkJSON.settings(c.networkSettings),
            "HostConfig": [
                "AutoRemove": host.autoRemove,
                "RestartPolicy": ["Name": host.restartPolicy.name, "MaximumRetryCount": Int(host.restartPolicy.maximumRetryCount)] as [String: Any],
                "Memory": Int(host.memory), "NanoCpus": Int(host.nanoCpus), "PidsLimit": Int(host.pidsLimit),
                "Privileged": host.privileged, "CapAdd": host.capAdd, "CapDrop": host.capDrop,
                "SecurityOpt": host.securityOpt, "ReadonlyRootfs": host.readOnly,
                "LogConfig": ["Type": host.logConfig.type, "Config": host.logConfig.config] as [String: Any],
                "NetworkMode": host.networkMode.isEmpty ? "bridge" : host.networkMode,
                "PortBindings": NetworkJSON.portBindings(host.portBindings), "Dns": host.dns, "ExtraHosts": host.extraHosts,
            ] as [String: Any],
            "Config": [
                "Hostname": config.hostname, "User": config.user, "Tty": config.tty, "OpenStdin": config.openStdin,
                "Env": config.env, "Cmd": config.cmd, "Image": config.image, "WorkingDir": config.workingDir,
                "Entrypoint": config.entrypoint.isEmpty ? NSNull() : config.entrypoint as Any, "Labels": config.labels,
                "StopSignal": config.stopSignal,
                "Volumes": Dictionary(uniqueKeysWithValues: config.volumes.map { ($0, [String: Any]()) }),
                "ExposedPorts": Dictionary(uniqueKeysWithValues: config.exposedPorts.map { ($0, [String: Any]()) }),
            ] as [String: Any],
        ]
    }

    static func image(_ i: Engine_ImageInspect) -> [String: Any] {
        let config = i.config
        return [
            "Id": i.id,
            "RepoTags": i.repoTags,
            "RepoDigests": i.repoDigests,
            "Created": rfc3339(i.created.date),
            "Architecture": i.architecture,
            "Os": i.os,
            "Size": Int(i.size),
            "RootFS": ["Type": i.rootFs.type, "Layers": i.rootFs.layers] as [String: Any],
            "Config": [
                "User": config.user, "Env": config.env, "Cmd": config.cmd,
                "Entrypoint": config.entrypoint.isEmpty ? NSNull() : config.entrypoint as Any,
                "WorkingDir": config.workingDir, "Labels": config.labels, "StopSignal": config.stopSignal,
                "ExposedPorts": Dictionary(uniqueKeysWithValues: config.exposedPorts.map { ($0, [String: Any]()) }),
                "Volumes": Dictionary(uniqueKeysWithValues: config.volumes.map { ($0, [String: Any]()) }),
            ] as [String: Any],
        ]
    }
}
