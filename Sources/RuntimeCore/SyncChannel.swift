// SyncChannel: the typed protocol between `berth-runtime create` (the parent) and the container's
// init process, over a SOCK_SEQPACKET socketpair (message boundaries kept by the kernel).
//
//   parent (create)                        init stage 1                 init stage 2 (PID 1)
//   spawn `init` ─────────────────────────▶ reads config
//   joins init to its cgroups
//   ── go ────────────────────────────────▶ unshare(user) ─┐
//   ◀──────────────────── idMapRequest ──── (if new userns) │
//   writes uid_map/gid_map                                  │
//   ── idMapDone ─────────────────────────▶ setns/unshare the rest, fork ──▶ (born in the new pid ns)
//   ◀──────────────────────────── pid(N) ── exits (reaped by the parent)
//                                                          mounts
//   ◀─────────────────────────────────────────── hooksRequest (only with prestart/createRuntime hooks)
//   runs prestart, createRuntime hooks
//   ── hooksDone ─────────────────────────────────────────────────────▶ createContainer hooks, console,
//                                                          pivot_root, hostname, sysctl, paths,
//                                                          checks args[0]
//   ◀────────────────────────────────────────────────────────────── ready
//   writes state.json, pid file; exits                     caps, uid/gid, NNP, seccomp,
//                                                          blocks opening exec.fifo until `start`
//   Any side may instead send `error(stage, path, errno, message)`, after which it exits.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import Sys

/// One message of the create protocol.
enum SyncMessage: Equatable, Sendable {
    case go
    case idMapRequest
    case idMapDone
    case pid(Int32)
    case ready
    case error(ChildFailure)
    /// The mounts are made: run prestart and createRuntime hooks (in the runtime's namespaces).
    case hooksRequest
    case hooksDone
}

/// A failure inside the init process, carried back to the caller of create.
struct ChildFailure: Error, Equatable, Sendable {
    var stage: String
    var path: String
    var errno: Int32
    var message: String

    var coreError: CoreError {
        let code: ErrorCode = errno == ENOENT ? .notFound : (errno == EACCES || errno == EPERM ? .permissionDenied : .unknown)
        var text = "container init failed at \(stage)"
        if !path.isEmpty { text += " (\(path))" }
        if !message.isEmpty { text += ": \(message)" }
        if errno != 0 { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        return CoreError(code, text, cause: errno != 0 ? SystemCallFailure(call: stage, path: path.isEmpty ? nil : path, errno: errno) : nil)
    }
}

/// Sends and receives SyncMessages on one end of the socketpair.
struct SyncChannel {
    let fd: Int32

    func send(_ message: SyncMessage) throws(CoreError) {
        var bytes: [UInt8]
        switch message {
        case .go: bytes = [1]
        case .idMapRequest: bytes = [2]
        case .idMapDone: bytes = [3]
        case .pid(let pid): bytes = [4] + withUnsafeBytes(of: pid.littleEndian, Array.init)
        case .ready: bytes = [5]
        case .hooksRequest: bytes = [7]
        case .hooksDone: bytes = [8]
        case .error(let f):
            bytes = [6] + Array("\(f.stage)\u{0}\(f.path)\u{0}\(f.errno)\u{0}\(f.message)".utf8)
        }
        while true {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n >= 0 { return }
            if errno != EINTR { throw CoreError(SystemCallFailure(call: "send sync", errno: errno)) }
        }
    }

    /// The next message, or nil when the other side closed without a word (it died).
    func receive() throws(CoreError) -> SyncMessage? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var n = 0
        while true {
            n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { break }
            if errno != EINTR { throw CoreError(SystemCallFailure(call: "recv sync", errno: errno)) }
        }
        guard n > 0 else { return nil }
        let body = buffer[1..<n]
        switch buffer[0] {
        case 1: return .go
        case 2: return .idMapRequest
        case 3: return .idMapDone
        case 4 where body.count == 4:
            return .pid(body.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(as: Int32.self)) })
        case 5: return .ready
        case 7: return .hooksRequest
        case 8: return .hooksDone
        case 6:
            let parts = body.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            guard parts.count == 4 else { break }
            return .error(ChildFailure(stage: parts[0], path: parts[1], errno: Int32(parts[2]) ?? 0, message: parts[3]))
        default: break
        }
        throw CoreError(.internal, "sync: malformed message of \(n) bytes (type \(buffer[0]))")
    }

    /// Waits for exactly `expected`; an error message or EOF becomes a thrown error.
    func expect(_ expected: SyncMessage, during stage: String) throws(CoreError) {
        switch try receive() {
        case expected?: return
        case .error(let failure)?: throw failure.coreError
        case nil: throw CoreError(.internal, "container init exited during \(stage) without reporting an error")
        case let other?: throw CoreError(.internal, "sync: expected \(expected) during \(stage), got \(other)")
        }
    }
}
