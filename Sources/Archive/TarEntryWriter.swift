// TarEntryWriter: writes tar entries of every kind TarReader reads — files, directories, symlinks,
// hard links, devices, fifos — with their mode, owner and time, as ustar headers; a name, link
// target, size or owner that does not fit ustar's fields (and extended attributes) goes in a pax
// extended header before it, as Go's archive/tar and GNU tar do. Bytes go to a sink, so the
// archive can be streamed (the engine's cp and export) as well as written to a file.
import Errdefs

extension TarEntry {
    public init(_ kind: Kind, path: String, linkTarget: String = "", mode: UInt32, uid: Int = 0, gid: Int = 0,
                size: Int = 0, modificationTime: Int = 0, deviceMajor: UInt32 = 0, deviceMinor: UInt32 = 0,
                xattrs: [String: [UInt8]] = [:]) {
        self.kind = kind
        self.path = path
        self.linkTarget = linkTarget
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.modificationTime = modificationTime
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.xattrs = xattrs
    }
}

public final class TarEntryWriter {
    public typealias Sink = ([UInt8]) throws(CoreError) -> Void
    private let sink: Sink

    public init(sink: @escaping Sink) {
        self.sink = sink
    }

    /// Writes `entry`; a regular file's `entry.size` bytes come from `data`. A source that ends
    /// early is padded with zeros (a file that shrank while being archived), as GNU tar does.
    public func append(_ entry: TarEntry, data: ByteSource? = nil) throws(CoreError) {
        try sink(try Self.headers(for: entry))
        guard entry.kind == .file, entry.size > 0 else { return }
        var left = entry.size
        while left > 0, let data {
            let chunk = try data.read(upTo: min(left, 1 << 20))
            if chunk.isEmpty { break }
            try sink(chunk)
            left -= chunk.count
        }
        if left > 0 { try sink([UInt8](repeating: 0, count: left)) }
        try sink(Self.padding(entry.size))
    }

    /// The two zero blocks that end an archive.
    public func finish() throws(CoreError) {
        try sink([UInt8](repeating: 0, count: 1024))
    }

    /// Zeros that pad `size` bytes of data to a whole block.
    public static func padding(_ size: Int) -> [UInt8] {
        [UInt8](repeating: 0, count: TarReader.padding(size))
    }

    /// The header blocks of `entry`: a pax header first when needed, then the ustar header.
    public static func headers(for entry: TarEntry) throws(CoreError) -> [UInt8] {
        var name = entry.path
        if entry.kind == .directory && !name.hasSuffix("/") { name += "/" }
        guard !name.isEmpty, !name.utf8.contains(0), !entry.linkTarget.utf8.contains(0) else {
            throw CoreError(.invalidArgument, "tar entry name \"\(entry.path)\" is empty or holds a NUL byte")
        }
        var pax: [(String, [UInt8])] = []
        if name.utf8.count > 100 { pax.append(("path", Array(name.utf8))) }
        if entry.linkTarget.utf8.count > 100 { pax.append(("linkpath", Array(entry.linkTarget.utf8))) }
        let size = entry.kind == .file ? entry.size : 0
        if size > 0o777_7777_7777 { pax.append(("size", Array(String(size).utf8))) }
        if entry.uid > 0o777_7777 || entry.uid < 0 { pax.append(("uid", Array(String(entry.uid).utf8))) }
        if entry.gid > 0o777_7777 || entry.gid < 0 { pax.append(("gid", Array(String(entry.gid).utf8))) }
        for (key, value) in entry.xattrs.sorted(by: { $0.key < $1.key }) { pax.append(("SCHILY.xattr." + key, value)) }
        var out: [UInt8] = []
        if !pax.isEmpty {
            var body: [UInt8] = []
            for (key, value) in pax { body += record(key, value) }
            out += header(name: "PaxHeaders.0/" + String(decoding: name.utf8.suffix(80), as: UTF8.self), type: UInt8(ascii: "x"),
                          mode: 0o644, uid: 0, gid: 0, size: body.count, time: entry.modificationTime, link: "", major: 0, minor: 0)
            out += body + padding(body.count)
        }
        out += header(name: name, type: typeFlag(entry.kind), mode: Int(entry.mode & 0o7777), uid: entry.uid, gid: entry.gid,
                      size: size, time: entry.modificationTime, link: entry.linkTarget,
                      major: Int(entry.deviceMajor), minor: Int(entry.deviceMinor))
        return out
    }

    static func typeFlag(_ kind: TarEntry.Kind) -> UInt8 {
        switch kind {
        case .file: UInt8(ascii: "0")
        case .hardLink: UInt8(ascii: "1")
        case .symbolicLink: UInt8(ascii: "2")
        case .characterDevice: UInt8(ascii: "3")
        case .blockDevice: UInt8(ascii: "4")
        case .directory: UInt8(ascii: "5")
        case .fifo: UInt8(ascii: "6")
        case .other(let type): type
        }
    }

    /// A pax record, "LENGTH key=value\n", LENGTH counting the whole record (its own digits too).
    static func record(_ key: String, _ value: [UInt8]) -> [UInt8] {
        let rest = 1 + key.utf8.count + 1 + value.count + 1
        var length = rest + String(rest).count
        if String(length).count > String(rest).count { length = rest + String(length).count }
        return Array("\(length) \(key)=".utf8) + value + [UInt8(ascii: "\n")]
    }

    /// One ustar header; fields too long for it were put in the pax header, so they are cut here.
    private static func header(name: String, type: UInt8, mode: Int, uid: Int, gid: Int, size: Int, time: Int,
                               link: String, major: Int, minor: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put<S: Sequence>(_ bytes: S, _ offset: Int, _ width: Int) where S.Element == UInt8 {
            for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, _ offset: Int, _ width: Int) {
            let clamped = min(max(value, 0), (1 << (3 * (width - 1))) - 1)
            let digits = Array(String(clamped, radix: 8).utf8)
            put([UInt8](repeating: UInt8(ascii: "0"), count: width - 1 - digits.count) + digits, offset, width - 1)
        }
        put(name.utf8, 0, 100)
        octal(mode, 100, 8)
        octal(uid, 108, 8)
        octal(gid, 116, 8)
        octal(size, 124, 12)
        octal(time, 136, 12)
        put(Array("        ".utf8), 148, 8)
        block[156] = type
        put(link.utf8, 157, 100)
        put(Array("ustar".utf8) + [0], 257, 6)
        put(Array("00".utf8), 263, 2)
        if type == UInt8(ascii: "3") || type == UInt8(ascii: "4") {
            octal(major, 329, 8)
            octal(minor, 337, 8)
        }
        let sum = block.reduce(0) { $0 + Int($1) }
        let digits = Array(String(sum, radix: 8).utf8)
        put([UInt8](repeating: UInt8(ascii: "0"), count: max(0, 6 - digits.count)) + digits + [0, UInt8(ascii: " ")], 148, 8)
        return block
    }
}
