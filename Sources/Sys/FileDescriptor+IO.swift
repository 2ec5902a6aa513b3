// FileDescriptor+IO: reading and writing through an owned descriptor, retrying EINTR and
// completing short writes, with failures as CoreError(SystemCallFailure).
import Errdefs
import Glibc

extension FileDescriptor {
    /// Reads once into `buffer`, retrying EINTR. Returns the byte count; 0 means end of file.
    /// A non-blocking descriptor with nothing to read throws EAGAIN.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(CoreError) -> Int {
        try withRawValue { (raw: Int32) throws(CoreError) -> Int in
            try retryingInterrupts("read") { Glibc.read(raw, buffer.baseAddress, buffer.count) }
        }
    }

    /// Reads once, at most `count` bytes; an empty result means end of file.
    public func read(upToCount count: Int) throws(CoreError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        let got = try bytes.withUnsafeMutableBytes { buffer in catching { () throws(CoreError) in try read(into: buffer) } }.get()
        bytes.removeLast(bytes.count - got)
        return bytes
    }

    /// Reads until end of file. Throws `resourceExhausted` past `limit` bytes, so a runaway
    /// writer cannot make the caller buffer without bound.
    public func readToEnd(limit: Int = 64 << 20) throws(CoreError) -> [UInt8] {
        var result: [UInt8] = []
        while true {
            let chunk = try read(upToCount: 64 * 1024)
            if chunk.isEmpty { return result }
            guard result.count + chunk.count <= limit else {
                throw CoreError(.resourceExhausted, "read: more than \(limit) bytes before end of file")
            }
            result.append(contentsOf: chunk)
        }
    }

    /// Writes all of `buffer`, retrying EINTR and continuing after short writes.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(CoreError) {
        try withRawValue { (raw: Int32) throws(CoreError) in
            var offset = 0
            while offset < buffer.count {
                let wrote = try retryingInterrupts("write") {
                    Glibc.write(raw, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                }
                offset += wrote
            }
        }
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(CoreError) {
        try bytes.withUnsafeBytes { buffer in catching { () throws(CoreError) in try write(buffer) } }.get()
    }

    /// Writes the UTF-8 bytes of `string`.
    public func write(_ string: String) throws(CoreError) {
        try write(Array(string.utf8))
    }

    /// Moves the file offset to `offset` from the start (lseek SEEK_SET).
    public func seek(to offset: Int64) throws(CoreError) {
        try withRawValue { (raw: Int32) throws(CoreError) in
            _ = try checked("lseek") { lseek(raw, off_t(offset), SEEK_SET) }
        }
    }
}
