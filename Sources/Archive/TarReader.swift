// TarReader: a streaming reader of tar archives as image layers and image archives are written
// — ustar headers (name with prefix), pax extended headers (path, linkpath, size, uid, gid,
// mtime, SCHILY.xattr.*) and GNU long names and links. Each header's checksum is verified.
// After `next()` returns an entry, its data is read with `readData`/`dataSource()` or skipped by
// the following `next()`.
import Errdefs

public struct TarEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file, hardLink, symbolicLink, characterDevice, blockDevice, directory, fifo
        case other(UInt8)
    }

    public var kind: Kind
    /// The name as stored (relative, maybe with "./"); callers must clean and confine it.
    public var path: String
    /// Symbolic link target, or a hard link's target path in the archive.
    public var linkTarget: String
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    public var size: Int
    public var modificationTime: Int
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    /// Extended attributes from pax `SCHILY.xattr.NAME` records.
    public var xattrs: [String: [UInt8]]
}

public final class TarReader {
    private let source: ByteSource
    /// Bytes of the current entry's data not yet read, and the padding after them.
    private var remaining = 0
    private var padding = 0

    public init(_ source: ByteSource) {
        self.source = source
    }

    /// The next entry, or nil at the end of the archive.
    public func next() throws(CoreError) -> TarEntry? {
        try skipRest()
        var pax: [String: [UInt8]] = [:]
        var longName: String?
        var longLink: String?
        while true {
            let header = try source.readExactly(512, what: "a tar header")
            if header.allSatisfy({ $0 == 0 }) { return nil }
            try Self.verifyChecksum(header)
            let type = header[156]
            let size = try Self.number(header[124..<136], field: "size")
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let body = try readBody(size)
                if type == UInt8(ascii: "x") { pax.merge(try Self.paxRecords(body)) { $1 } }
                continue
            case UInt8(ascii: "L"):
                longName = Self.string(try readBody(size)[...])
                continue
            case UInt8(ascii: "K"):
                longLink = Self.string(try readBody(size)[...])
                continue
            default:
                break
            }
            var entry = TarEntry(
                kind: Self.kind(type), path: Self.name(header), linkTarget: Self.string(header[157..<257]),
                mode: UInt32(truncatingIfNeeded: try Self.number(header[100..<108], field: "mode")),
                uid: try Self.number(header[108..<116], field: "uid"), gid: try Self.number(header[116..<124], field: "gid"),
                size: size, modificationTime: try Self.number(header[136..<148], field: "mtime"),
                deviceMajor: UInt32(truncatingIfNeeded: (try? Self.number(header[329..<337], field: "devmajor")) ?? 0),
                deviceMinor: UInt32(truncatingIfNeeded: (try? Self.number(header[337..<345], field: "devminor")) ?? 0),
                xattrs: [:])
            if let longName { entry.path = longName }
            if let longLink { entry.linkTarget = longLink }
            for (key, value) in pax {
                let text = String(decoding: value, as: UTF8.self)
                switch key {
                case "path": entry.path = text
                case "linkpath": entry.linkTarget = text
                case "size": entry.size = Int(text) ?? entry.size
                case "uid": entry.uid = Int(text) ?? entry.uid
                case "gid": entry.gid = Int(text) ?? entry.gid
                case "mtime": entry.modificationTime = Int(text.split(separator: ".").first ?? "") ?? entry.modificationTime
                default:
                    if key.hasPrefix("SCHILY.xattr.") { entry.xattrs[String(key.dropFirst("SCHILY.xattr.".count))] = value }
                }
            }
            guard entry.size >= 0 else { throw CoreError(.dataLoss, "tar entry \(entry.path) has a negative size") }
            // Only regular files carry data; anything another kind carries is skipped.
            remaining = entry.kind == .file ? entry.size : size
            padding = Self.padding(remaining)
            return entry
        }
    }

    /// Up to `count` bytes of the current entry's data; empty at its end.
    public func readData(upTo count: Int) throws(CoreError) -> [UInt8] {
        guard remaining > 0 else { return [] }
        let chunk = try source.read(upTo: min(count, remaining))
        guard !chunk.isEmpty else { throw CoreError(.dataLoss, "archive ends inside an entry's data") }
        remaining -= chunk.count
        return chunk
    }

    /// The whole data of the current entry, refused beyond `limit` bytes.
    public func readAllData(limit: Int = 64 << 20) throws(CoreError) -> [UInt8] {
        guard remaining <= limit else { throw CoreError(.resourceExhausted, "archive entry of \(remaining) bytes is over the \(limit)-byte limit") }
        return try source.readExactly(remaining, what: "an entry's data").also { remaining = 0 }
    }

    private func readBody(_ size: Int) throws(CoreError) -> [UInt8] {
        guard size <= 1 << 20 else { throw CoreError(.resourceExhausted, "tar extended header of \(size) bytes") }
        let body = try source.readExactly(size, what: "a tar extended header")
        _ = try source.readExactly(Self.padding(size), what: "tar padding")
        return body
    }

    private func skipRest() throws(CoreError) {
        while remaining > 0 { _ = try readData(upTo: 1 << 20) }
        if padding > 0 { _ = try source.readExactly(padding, what: "tar padding") }
        padding = 0
    }

    static func padding(_ size: Int) -> Int { (512 - size % 512) % 512 }

    static func kind(_ type: UInt8) -> TarEntry.Kind {
        switch type {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): .file
        case UInt8(ascii: "1"): .hardLink
        case UInt8(ascii: "2"): .symbolicLink
        case UInt8(ascii: "3"): .characterDevice
        case UInt8(ascii: "4"): .blockDevice
        case UInt8(ascii: "5"): .directory
        case UInt8(ascii: "6"): .fifo
        default: .other(type)
        }
    }

    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// ustar splits long names into prefix (345..<500) and name.
    static func name(_ header: [UInt8]) -> String {
        let name = string(header[0..<100])
        let magic = string(header[257..<262])
        guard magic == "ustar" else { return name }
        let prefix = string(header[345..<500])
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// An octal field, or base-256 when the top bit of the first byte is set (GNU, for big values).
    static func number(_ field: ArraySlice<UInt8>, field name: String) throws(CoreError) -> Int {
        if let first = field.first, first & 0x80 != 0 {
            var value = Int(first & 0x7F)
            for byte in field.dropFirst() {
                guard value < Int.max >> 8 else { throw CoreError(.dataLoss, "tar header \(name) overflows") }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        var seenDigit = false
        for byte in field {
            if byte == 0 || (byte == UInt8(ascii: " ") && seenDigit) { break }
            if byte == UInt8(ascii: " ") { continue }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7") else {
                throw CoreError(.dataLoss, "tar header \(name) is not octal")
            }
            guard value < Int.max >> 3 else { throw CoreError(.dataLoss, "tar header \(name) overflows") }
            value = value << 3 | Int(byte - UInt8(ascii: "0"))
            seenDigit = true
        }
        return value
    }

    static func verifyChecksum(_ header: [UInt8]) throws(CoreError) {
        let stored = try number(header[148..<156], field: "checksum")
        // Every byte but the checksum field's own, which counts as eight spaces; a plain loop over
        // the buffer (enumerated() cost a layer of millions of headers seconds, many in debug builds).
        let sum = header.withUnsafeBufferPointer { bytes in
            var total = 8 * 32
            for index in 0..<148 { total &+= Int(bytes[index]) }
            for index in 156..<bytes.count { total &+= Int(bytes[index]) }
            return total
        }
        guard sum == stored else { throw CoreError(.dataLoss, "tar header checksum mismatch: not a tar archive, or a corrupt one") }
    }

    /// pax records: "LENGTH key=value\n", LENGTH counting the whole record.
    static func paxRecords(_ body: [UInt8]) throws(CoreError) -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var index = 0
        while index < body.count {
            guard let space = body[index...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: body[index..<space], as: UTF8.self)), length > 0,
                  index + length <= body.count, body[index + length - 1] == UInt8(ascii: "\n") else {
                throw CoreError(.dataLoss, "malformed pax extended header")
            }
            let record = body[(space + 1)..<(index + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else { throw CoreError(.dataLoss, "pax record without '='") }
            records[String(decoding: record[..<equals], as: UTF8.self)] = Array(record[(equals + 1)...])
            index += length
        }
        return records
    }
}

extension Array {
    /// `self`, after running `body` (for a side effect at the end of an expression).
    func also(_ body: () -> Void) -> Self {
        body()
        return self
    }
}
