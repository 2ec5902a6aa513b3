// UnixSocket: AF_UNIX sockets as owned FileDescriptors — socket pairs, bind/connect by path and
// SO_PEERCRED. Passing descriptors (SCM_RIGHTS) is in UnixSocket+Rights.swift.
import CLinux
import Errdefs
import Glibc

/// Helpers for AF_UNIX sockets. Every socket made here is close-on-exec.
public enum UnixSocket {
    /// The socket type.
    public enum Kind: Sendable {
        /// A byte stream (SOCK_STREAM): messages have no boundaries.
        case stream
        /// Datagrams (SOCK_DGRAM): boundaries kept, unconnected sends allowed.
        case datagram
        /// Sequenced packets (SOCK_SEQPACKET): connected, reliable, boundaries kept.
        case seqpacket

        var rawValue: Int32 {
            switch self {
            case .stream: Int32(SOCK_STREAM.rawValue)
            case .datagram: Int32(SOCK_DGRAM.rawValue)
            case .seqpacket: Int32(SOCK_SEQPACKET.rawValue)
            }
        }
    }

    /// A connected pair of sockets (socketpair(2)), both close-on-exec.
    public static func socketPair(_ kind: Kind = .stream) throws(CoreError) -> (FileDescriptor, FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        let type = kind.rawValue | Int32(SOCK_CLOEXEC.rawValue)
        _ = try fds.withUnsafeMutableBufferPointer { (buffer) throws(CoreError) -> Int32 in
            try checked("socketpair") { socketpair(AF_UNIX, type, 0, buffer.baseAddress) }
        }
        return (FileDescriptor(adopting: fds[0]), FileDescriptor(adopting: fds[1]))
    }

    /// A new socket bound to `path` (which must not exist yet). Stream and seqpacket sockets are
    /// also put in the listening state with `backlog`.
    public static func bind(path: String, kind: Kind = .stream, backlog: Int32 = 128) throws(CoreError) -> FileDescriptor {
        let socket = try makeSocket(kind)
        try socket.withRawValue { (raw: Int32) throws(CoreError) in
            try withAddress(path) { (address, length) throws(CoreError) in
                _ = try checked("bind", path: path) { Glibc.bind(raw, address, length) }
            }
            if kind != .datagram {
                _ = try checked("listen", path: path) { Glibc.listen(raw, backlog) }
            }
        }
        return socket
    }

    /// A new socket connected to `path`. Retries EINTR. A `nonBlocking` socket never waits in
    /// connect: a listener whose backlog is full fails it with EAGAIN instead.
    public static func connect(path: String, kind: Kind = .stream, nonBlocking: Bool = false) throws(CoreError) -> FileDescriptor {
        let socket = try makeSocket(kind, nonBlocking: nonBlocking)
        try socket.withRawValue { (raw: Int32) throws(CoreError) in
            try withAddress(path) { (address, length) throws(CoreError) in
                _ = try retryingInterrupts("connect", path: path) { Glibc.connect(raw, address, length) }
            }
        }
        return socket
    }

    /// The pid, uid and gid of the process that created or connected the peer socket
    /// (SO_PEERCRED), as seen from our pid and user namespaces.
    public static func peerCredentials(of socket: FileDescriptor) throws(CoreError) -> PeerCredentials {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        try socket.withRawValue { (raw: Int32) throws(CoreError) in
            _ = try checked("getsockopt(SO_PEERCRED)") { berth_getpeercred(raw, &pid, &uid, &gid) }
        }
        return PeerCredentials(pid: pid, uid: uid, gid: gid)
    }

    private static func makeSocket(_ kind: Kind, nonBlocking: Bool = false) throws(CoreError) -> FileDescriptor {
        let type = kind.rawValue | Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        return FileDescriptor(adopting: try checked("socket") { socket(AF_UNIX, type, 0) })
    }

    /// Calls `body` with a sockaddr_un for `path`; the pointer is valid only inside `body`.
    private static func withAddress<R>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(CoreError) -> R
    ) throws(CoreError) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // One byte stays for the terminating NUL; an embedded NUL would silently shorten the path.
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw CoreError(.invalidArgument, "unix socket path must be 1...\(capacity - 1) bytes without NUL: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        return try withUnsafePointer(to: &address) { (pointer) throws(CoreError) -> R in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (generic) throws(CoreError) -> R in
                try body(generic, length)
            }
        }
    }
}

/// Who is at the other end of a unix socket (SO_PEERCRED).
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The peer's process id in our pid namespace (0 if it lives outside it).
    public var pid: pid_t
    /// The peer's effective user id when it connected.
    public var uid: uid_t
    /// The peer's effective group id when it connected.
    public var gid: gid_t

    /// Creates credentials from their parts.
    public init(pid: pid_t, uid: uid_t, gid: gid_t) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    public var description: String { "pid=\(pid) uid=\(uid) gid=\(gid)" }
}
