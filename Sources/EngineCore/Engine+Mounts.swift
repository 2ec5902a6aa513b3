// Engine+Mounts: a container's volumes and binds made real at create — --volumes-from copied
// from the other container (ro/rw as asked), then -v/--mount/--tmpfs (MountSpecs), then an
// anonymous volume for each declared path left uncovered; volumes created on demand, missing -v
// bind sources made (a missing --mount bind source is an error), all kept in inspect.mounts
// (docker's MountPoint list). An empty volume is filled with the image's content at its path
// from the container's snapshot (VolumeCopy) once the supervisor has made it. Volumes in use by a
// create still in flight are reserved, so `volume rm`/prune cannot take them meanwhile; `rm -v`
// and --rm remove the container's anonymous volumes no other container uses.
import API
import Errdefs
import Foundation
import Glibc
import Images

/// What preparing a container's mounts did, for populating, rolling back and releasing.
struct PreparedMounts: Sendable {
    /// Volumes created for this container (removed again if its create fails).
    var created: [String] = []
    /// Volumes held against removal until the container's record is saved.
    var reserved: [String] = []
    /// Volume data directories to fill from the image: (data path, container path).
    var copies: [(data: String, destination: String)] = []
}

extension Engine {
    /// Fills `inspect.mounts` from the request (HostConfig binds, mounts, volumes_from and the
    /// merged config's volumes), creating volumes and -v bind sources as needed.
    func prepareMounts(_ inspect: inout Engine_ContainerInspect, _ prepared: inout PreparedMounts) throws(CoreError) {
        let host = inspect.hostConfig
        var points: [String: Engine_MountPoint] = [:]
        for entry in host.volumesFrom {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(parts.count), !parts[0].isEmpty else {
                throw CoreError(.invalidArgument, "invalid volumes-from specification: '\(entry)'")
            }
            var rw: Bool?
            if parts.count == 2 {
                switch parts[1] {
                case "ro": rw = false
                case "rw": rw = true
                case "z", "Z": break
                default: throw CoreError(.invalidArgument, "invalid mode for volumes-from: \(parts[1])")
                }
            }
            let source = try store.resolve(parts[0])
            for var point in source.inspect.mounts where point.type == "volume" || point.type == "bind" {
                if let rw {
                    point.rw = rw
                    point.mode = parts[1]
                }
                points[point.destination] = point
            }
        }
        let wanted = try MountSpecs.wanted(binds: host.binds, mounts: host.mounts, anonymous: inspect.config.volumes,
                                           inherited: Set(points.keys))
        for mount in wanted {
            var point = Engine_MountPoint()
            point.destination = mount.destination
            point.mode = mount.mode
            point.rw = !mount.readOnly
            switch mount.kind {
            case .tmpfs:
                points[mount.destination] = nil
                continue
            case .bind(let source, let create):
                try Self.checkBindSource(source, create: create)
                point.type = "bind"
                point.source = source
                point.propagation = mount.propagation
            case .volume(let name, let labels, let copy):
                let made = try volumes.create(name, labels: labels, options: [:], anonymous: name.isEmpty)
                if made.created { prepared.created.append(made.volume.name) }
                volumes.reserve(made.volume.name)
                prepared.reserved.append(made.volume.name)
                if copy { prepared.copies.append((made.volume.mountpoint, mount.destination)) }
                point.type = "volume"
                point.name = made.volume.name
                point.source = made.volume.mountpoint
                point.driver = "local"
            }
            points[mount.destination] = point
        }
        for point in points.values where point.type == "volume" && !prepared.reserved.contains(point.name) {
            volumes.reserve(point.name)
            prepared.reserved.append(point.name)
        }
        inspect.mounts = points.values.sorted { $0.destination < $1.destination }
    }

    /// A bind's host path: made (0755, with parents) for -v when missing, an error for --mount.
    static func checkBindSource(_ source: String, create: Bool) throws(CoreError) {
        var info = stat()
        if stat(source, &info) == 0 { return }
        guard errno == ENOENT else { throw CoreError(SystemCallFailure(call: "stat", path: source, errno: errno)) }
        guard create else {
            throw CoreError(.invalidArgument, "invalid mount config for type \"bind\": bind source path does not exist: \(source)")
        }
        do {
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw CoreError(.internal, "error while creating mount source path '\(source)': \(error.localizedDescription)")
        }
    }

    /// Copies the image's content into each empty volume of `prepared` (the container `id`'s
    /// snapshot mounted privately and detached: nothing is left mounted, whatever happens).
    func populateVolumes(_ id: String, _ prepared: PreparedMounts) async throws {
        guard !prepared.copies.isEmpty else { return }
        let root = try Self.mountSnapshot(try await snapshotMount(id), name: id)
        for copy in prepared.copies {
            try await runOnThread("volume-copy") { try VolumeCopy.populate(data: copy.data, from: root, path: copy.destination) }
        }
    }

    /// A failed create: the volumes it made go again.
    func discardMounts(_ prepared: PreparedMounts) {
        for name in prepared.created { try? volumes.remove(name) }
    }

    /// The ids of containers whose mounts use volume `name`.
    func volumeUsers(_ name: String) -> [String] {
        store.byID.values.filter { stored in
            stored.inspect.mounts.contains { $0.type == "volume" && $0.name == name }
        }.map(\.inspect.id).sorted()
    }

    /// After a container's removal: with `rm -v` (or --rm) its anonymous volumes that no other
    /// container uses are removed; named volumes always stay.
    func releaseVolumes(of stored: Engine_StoredContainer, removeAnonymous: Bool) async {
        guard removeAnonymous else { return }
        for point in stored.inspect.mounts where point.type == "volume" {
            guard let volume = volumes.byName[point.name], volume.anonymous, volumeUsers(point.name).isEmpty,
                  !volumes.isReserved(point.name) else { continue }
            do {
                try volumes.remove(point.name)
                await events.publish(type: "volume", action: "destroy", id: point.name, attributes: ["driver": "local"])
            } catch {
                logger.error("cannot remove an anonymous volume", metadata: ["volume": "\(point.name)", "error": "\(error)"])
            }
        }
    }
}
