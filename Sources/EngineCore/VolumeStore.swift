// VolumeStore: the `local` volume driver's volumes — data in <data-root>/volumes/<name>/_data,
// the record (an Engine_Volume: name, created, labels, options, anonymous) next to it as
// <data-root>/volumes/<name>/volume.pb, written durably by RecordStore. Create makes the data
// directory before the record and remove deletes the record before the data, so a crash in
// between leaves a directory without a record, which `load` removes: a volume exists exactly
// when its record does. Names follow docker's rule; anonymous volumes get 64-hex names.
import API
import Errdefs
import Foundation
import Glibc
import Records
import SwiftProtobuf

struct VolumeStore {
    let directory: String
    private let records: RecordStore
    private(set) var byName: [String: Engine_Volume] = [:]
    /// Volumes a container create in flight uses (not yet in any saved record): count per name.
    private var reservations: [String: Int] = [:]

    init(directory: String) throws(CoreError) {
        self.directory = directory
        records = try RecordStore(directory: directory)
    }

    /// Reads every record; directories left without one by a crash are removed.
    mutating func load() -> [CoreError] {
        var errors: [CoreError] = []
        for name in records.namespaces() where Self.isValidName(name) {
            do {
                if let volume = try records.read(Engine_Volume.self, namespace: name, id: "volume") {
                    byName[name] = volume
                } else {
                    try? FileManager.default.removeItem(atPath: "\(directory)/\(name)")
                }
            } catch {
                errors.append(error)
            }
        }
        return errors
    }

    func dataPath(_ name: String) -> String { "\(directory)/\(name)/_data" }

    /// Docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters at least).
    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7a) }
        guard bytes.count >= 2, alnum(bytes[0]) else { return false }
        return bytes.dropFirst().allSatisfy { alnum($0) || $0 == 0x5f || $0 == 0x2e || $0 == 0x2d }
    }

    func get(_ name: String) throws(CoreError) -> Engine_Volume {
        guard let volume = byName[name] else { throw CoreError(.notFound, "get \(name): no such volume") }
        return volume
    }

    /// Creates `name` (empty: a new anonymous 64-hex name) or returns the existing one, as
    /// docker's local driver does (a second create of a name is not an error).
    mutating func create(_ name: String, labels: [String: String], options: [String: String],
                         anonymous: Bool) throws(CoreError) -> (volume: Engine_Volume, created: Bool) {
        let chosen = name.isEmpty ? Engine.newID() : name
        guard Self.isValidName(chosen) else {
            throw CoreError(.invalidArgument, "create \(chosen): \"\(chosen)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")
        }
        if let existing = byName[chosen] { return (existing, false) }
        for key in options.keys where !["type", "device", "o"].contains(key) {
            throw CoreError(.invalidArgument, "create \(chosen): invalid option key: \"\(key)\"")
        }
        if !options.isEmpty {
            throw CoreError(.unimplemented, "create \(chosen): local driver options (type, device, o) are not supported by berth yet")
        }
        let data = dataPath(chosen)
        do {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(chosen)", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o701])
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o755])
        } catch {
            throw CoreError(.internal, "create \(chosen): mkdir \(data): \(error.localizedDescription)")
        }
        var volume = Engine_Volume()
        volume.name = chosen
        volume.driver = "local"
        volume.mountpoint = data
        volume.createdAt = Google_Protobuf_Timestamp(date: Date())
        volume.labels = labels
        volume.options = options
        volume.scope = "local"
        volume.anonymous = anonymous
        do {
            try records.write(volume, namespace: chosen, id: "volume")
        } catch {
            try? FileManager.default.removeItem(atPath: "\(directory)/\(chosen)")
            throw error
        }
        byName[chosen] = volume
        return (volume, true)
    }

    /// Deletes the record, then the data (never following a symlink out of it).
    mutating func remove(_ name: String) throws(CoreError) {
        guard byName[name] != nil else { throw CoreError(.notFound, "get \(name): no such volume") }
        try records.delete(namespace: name, id: "volume")
        byName[name] = nil
        try? FileManager.default.removeItem(atPath: "\(directory)/\(name)")
    }

    mutating func reserve(_ name: String) { reservations[name, default: 0] += 1 }

    mutating func release(_ names: [String]) {
        for name in names {
            let count = (reservations[name] ?? 1) - 1
            reservations[name] = count > 0 ? count : nil
        }
    }

    func isReserved(_ name: String) -> Bool { reservations[name] != nil }

    /// The bytes under a volume's data directory (files counted once; symlinks not followed).
    func size(_ name: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: dataPath(name)) else { return 0 }
        var total: Int64 = 0
        var seen: Set<UInt64> = []
        while let relative = walker.nextObject() as? String {
            var info = stat()
            guard lstat("\(dataPath(name))/\(relative)", &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if info.st_nlink > 1 && !seen.insert(UInt64(info.st_ino)).inserted { continue }
            total += Int64(info.st_blocks) * 512
        }
        return total
    }
}
