// JournalLog: a container's output sent to the systemd journal, one entry per line, when its
// stdout/stderr path is `journald://?socket=PATH&CONTAINER_ID=…&CONTAINER_NAME=…` — docker's
// journald log driver, with the shim as the writer so nothing depends on the engine being up.
// The shim speaks the journal's native datagram protocol itself (what libsystemd's
// sd_journal_send does: `FIELD=value` lines, and the length-prefixed form for a MESSAGE that may
// hold any byte), so it stays fully static. PRIORITY is 6 for stdout, 3 for stderr. A journal
// that is not there or not keeping up costs the lines (counted), never the container's progress.
// With `cache=PATH` the lines also go to a json-file log at PATH (docker's "dual logging"), which
// is what `logs` and attach read.
import Errdefs
import Glibc
import Sys

public final class JournalLog: ContainerLog {
    public static let scheme = "journald://"
    public static let defaultSocket = "/run/systemd/journal/socket"
    /// Lines longer than this are sent in pieces (docker's journald driver cuts at 16 KiB too).
    static let lineLimit = 16 << 10

    let socketPath: String
    let fields: [(String, String)]
    /// The json-file cache path (`cache=`), if any.
    public let cachePath: String?
    private let socket: Int32
    private var partial: [String: [UInt8]] = [:]
    public private(set) var droppedBytes = 0

    /// Parses `journald://?socket=/path&CONTAINER_ID=abc&…` (field names: capitals, digits, `_`).
    public init(uri: String, log: ShimLog) throws(CoreError) {
        guard uri.hasPrefix(Self.scheme) else { throw CoreError(.invalidArgument, "not a journald:// output: \(uri)") }
        var socketPath = Self.defaultSocket
        var cachePath: String?
        var fields: [(String, String)] = []
        let rest = uri.dropFirst(Self.scheme.count)
        let query = rest.firstIndex(of: "?").map { rest[rest.index(after: $0)...] } ?? ""
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CoreError(.invalidArgument, "journald output: \(pair) is not key=value") }
            if parts[0] == "socket" || parts[0] == "cache" {
                if parts[0] == "socket" { socketPath = parts[1] } else { cachePath = parts[1] }
                continue
            }
            guard !parts[0].isEmpty, parts[0].utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }),
                  !parts[1].utf8.contains(0x0A) else {
                throw CoreError(.invalidArgument, "journald output: field \(parts[0]) must be capitals, digits and _ with a one-line value")
            }
            fields.append((parts[0], parts[1]))
        }
        self.socketPath = socketPath
        self.cachePath = cachePath
        self.fields = fields
        socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard socket >= 0 else { throw CoreError(SystemCallFailure(call: "socket", path: socketPath, errno: errno)) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(socket)
            throw CoreError(.invalidArgument, "journal socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected != 0 { log.warn("journald: connect \(socketPath): errno \(errno); lines are dropped until it answers") }
    }

    public func append(_ bytes: ArraySlice<UInt8>, stream: String) {
        var carried = partial.removeValue(forKey: stream) ?? []
        for byte in bytes {
            if byte == 0x0A {
                send(carried, stream: stream)
                carried.removeAll(keepingCapacity: true)
            } else {
                carried.append(byte)
                if carried.count == Self.lineLimit {
                    send(carried, stream: stream)
                    carried.removeAll(keepingCapacity: true)
                }
            }
        }
        if !carried.isEmpty { partial[stream] = carried }
    }

    public func finish(stream: String) {
        if let carried = partial.removeValue(forKey: stream), !carried.isEmpty { send(carried, stream: stream) }
    }

    public func close() {
        for stream in Array(partial.keys) { finish(stream: stream) }
        Glibc.close(socket)
    }

    /// One journal entry: the fields, PRIORITY, and MESSAGE in the length-prefixed form.
    private func send(_ line: [UInt8], stream: String) {
        var datagram: [UInt8] = []
        for (name, value) in fields + [("PRIORITY", stream == "stderr" ? "3" : "6")] {
            datagram += Array(name.utf8) + [0x3D] + Array(value.utf8) + [0x0A]
        }
        datagram += Array("MESSAGE".utf8) + [0x0A]
        var length = UInt64(line.count).littleEndian
        withUnsafeBytes(of: &length) { datagram += $0 }
        datagram += line + [0x0A]
        let sent = datagram.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent < 0 { droppedBytes += line.count }
    }
}

/// Where the shim itself writes a container's output: a json-file log or the journal.
public protocol ContainerLog: AnyObject {
    func append(_ bytes: ArraySlice<UInt8>, stream: String)
    func finish(stream: String)
    func close()
    var droppedBytes: Int { get }
}

extension JSONFileLog: ContainerLog {}

/// Two logs fed the same output (the journal and its json-file cache).
public final class TeeLog: ContainerLog {
    let first: any ContainerLog
    let second: any ContainerLog

    public init(_ first: any ContainerLog, _ second: any ContainerLog) {
        self.first = first
        self.second = second
    }

    public func append(_ bytes: ArraySlice<UInt8>, stream: String) {
        first.append(bytes, stream: stream)
        second.append(bytes, stream: stream)
    }

    public func finish(stream: String) {
        first.finish(stream: stream)
        second.finish(stream: stream)
    }

    public func close() {
        first.close()
        second.close()
    }

    public var droppedBytes: Int { first.droppedBytes + second.droppedBytes }
}
