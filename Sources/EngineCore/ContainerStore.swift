// ContainerStore: the engine's containers, in memory and on disk at
// <data-root>/containers/<id>/config.pb (written durably on every change, read at start-up), with
// the name index and docker's lookup rules: a full id, a unique id prefix, or a name. A change is
// made in memory at once and returns the disk work to do, which the engine runs off its actor
// (Engine+Records.swift), so the fsyncs do not hold up every other call.
import API
import Errdefs
import Foundation
import Records

struct ContainerStore {
    let directory: String
    /// The same records, readable off the actor (`ps`).
    let view: ContainerView
    private let records: RecordStore
    private(set) var byID: [String: Engine_StoredContainer] = [:]
    private var byName: [String: String] = [:]

    init(directory: String, view: ContainerView) throws(CoreError) {
        self.directory = directory
        self.view = view
        records = try RecordStore(directory: directory)
    }

    /// Reads every stored container; unreadable records are reported and left alone.
    mutating func load() -> [CoreError] {
        var errors: [CoreError] = []
        for id in records.namespaces() where id.count == 64 {
            do {
                if let stored = try records.read(Engine_StoredContainer.self, namespace: id, id: "config") {
                    byID[id] = stored
                    byName[stored.inspect.name] = id
                    view.set(stored)
                }
            } catch {
                errors.append(error)
            }
        }
        return errors
    }

    func directory(of id: String) -> String { "\(directory)/\(id)" }

    /// Resolves a name, full id or unique id prefix.
    func resolve(_ reference: String) throws(CoreError) -> Engine_StoredContainer {
        let name = reference.hasPrefix("/") ? String(reference.dropFirst()) : reference
        if let id = byName[name], let stored = byID[id] { return stored }
        if let stored = byID[reference] { return stored }
        if !reference.isEmpty {
            let matches = byID.keys.filter { $0.hasPrefix(reference) }
            if matches.count == 1, let stored = byID[matches[0]] { return stored }
            if matches.count > 1 {
                throw CoreError(.invalidArgument, "multiple IDs found with provided prefix: \(reference)")
            }
        }
        throw CoreError(.notFound, "No such container: \(reference)")
    }

    func isNameTaken(_ name: String) -> String? { byName[name] }

    /// A new or changed container, in memory now; returns the durable write of its record.
    mutating func update(_ stored: Engine_StoredContainer) -> @Sendable () throws(CoreError) -> Void {
        let id = stored.inspect.id
        if let old = byID[id], old.inspect.name != stored.inspect.name { byName[old.inspect.name] = nil }
        byID[id] = stored
        byName[stored.inspect.name] = id
        view.set(stored)
        let records = records
        return { () throws(CoreError) in try records.write(stored, namespace: id, id: "config") }
    }

    /// Forgets a container now; returns the removal of its directory (record, log, etc files).
    mutating func remove(_ id: String) -> @Sendable () -> Void {
        if let old = byID[id] { byName[old.inspect.name] = nil }
        byID[id] = nil
        if byID.isEmpty {  // the last one gone: give back the tables a busy spell grew (they never shrink)
            byID = [:]
            byName = [:]
        }
        view.remove(id)
        let directory = directory(of: id)
        return { try? FileManager.default.removeItem(atPath: directory) }
    }
}
