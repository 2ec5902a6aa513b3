// TarWriter: writes a ustar archive to a file descriptor — regular files and directories, names
// up to 100 bytes (all an OCI image layout needs: `blobs/sha256/<64 hex>` is 77), owner root,
// fixed times, so the same content always gives the same bytes.
import Errdefs
import Glibc

public final class TarWriter {
    private let fd: Int32
    private let path: String

    /// Writes to `fd` (not owned); `path` names it in errors.
    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    public func addDirectory(_ name: String) throws(CoreError) {
        try write(header(name.hasSuffix("/") ? name : name + "/", type: UInt8(ascii: "5"), size: 0, mode: 0o755))
    }

    /// A file whose `size` bytes come from `source`.
    public func addFile(_ name: String, size: Int, from source: ByteSource) throws(CoreError) {
        try write(header(name, type: UInt8(ascii: "0"), size: size, mode: 0o644))
        var left = size
        while left > 0 {
            let chunk = try source.read(upTo: min(left, 1 << 20))
            guard !chunk.isEmpty else { throw CoreError(.dataLoss, "\(name) ended \(left) bytes early") }
            try write(chunk)
            left -= chunk.count
        }
        try write([UInt8](repeating: 0, count: (512 - size % 512) % 512))
    }

    public func addFile(_ name: String, bytes: [UInt8]) throws(CoreError) {
        try addFile(name, size: bytes.count, from: MemorySource(bytes))
    }

    /// The two zero blocks that end an archive.
    public func finish() throws(CoreError) {
        try write([UInt8](repeating: 0, count: 1024))
    }

    private func header(_ name: String, type: UInt8, size: Int, mode: Int) throws(CoreError) -> [UInt8] {
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 100 else { throw CoreError(.invalidArgument, "tar name \(name) is longer than 100 bytes") }
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], _ offset: Int) { for (index, byte) in bytes.enumerated() { header[offset + index] = byte } }
        func octal(_ value: Int, _ width: Int) -> [UInt8] {
            let digits = Array(String(value, radix: 8).utf8)
            return [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - 1 - digits.count)) + digits + [0]
        }
        put(nameBytes, 0)
        put(octal(mode, 8), 100)
        put(octal(0, 8), 108)
        put(octal(0, 8), 116)
        put(octal(size, 12), 124)
        put(octal(0, 12), 136)
        put(Array("        ".utf8), 148)
        header[156] = type
        put(Array("ustar".utf8) + [0], 257)
        put(Array("00".utf8), 263)
        let sum = header.reduce(0) { $0 + Int($1) }
        put(octal(sum, 7) + [UInt8(ascii: " ")], 148)
        return header
    }

    private func write(_ bytes: [UInt8]) throws(CoreError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CoreError(SystemCallFailure(call: "write", path: path, errno: errno))
            }
            offset += written
        }
    }
}
