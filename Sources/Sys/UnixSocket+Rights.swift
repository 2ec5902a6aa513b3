// UnixSocket+Rights: passing open file descriptors between processes over a unix socket
// (SCM_RIGHTS), on top of berth_send_fds/berth_recv_fds so no msghdr pointer lives in Swift.
import CLinux
import Errdefs
import Glibc

extension UnixSocket {
    /// What `receiveFileDescriptors` got: the payload and the descriptors that came with it.
    public struct ReceivedMessage: Sendable {
        /// The payload bytes; empty at end of stream.
        public var bytes: [UInt8]
        /// The received descriptors, owned by the caller and close-on-exec.
        public var descriptors: [FileDescriptor]
    }

    /// Sends `descriptors` (1...253, borrowed: they stay open here) with `message` as payload.
    /// An empty message travels as one zero byte, because stream sockets drop descriptors sent
    /// without payload. Retries EINTR and completes short sends.
    public static func sendFileDescriptors(
        _ descriptors: [FileDescriptor], over socket: FileDescriptor, message: [UInt8] = []
    ) throws(CoreError) {
        // The owners stay alive until the descriptors are in the kernel's hands.
        try withExtendedLifetime(descriptors) { () throws(CoreError) in
            try sendFileDescriptors(descriptors.map(\.rawValue), over: socket, message: message)
        }
    }

    /// Sends raw descriptor numbers the caller keeps open for the duration of the call.
    public static func sendFileDescriptors(
        _ descriptors: [Int32], over socket: FileDescriptor, message: [UInt8] = []
    ) throws(CoreError) {
        guard (1...Int(BERTH_CMSG_MAX_FDS)).contains(descriptors.count) else {
            throw CoreError(.invalidArgument, "SCM_RIGHTS carries 1...\(BERTH_CMSG_MAX_FDS) descriptors, not \(descriptors.count)")
        }
        let sent = try socket.withRawValue { (raw: Int32) throws(CoreError) -> Int in
            try descriptors.withUnsafeBufferPointer { (fds) throws(CoreError) -> Int in
                try message.withUnsafeBytes { payload in
                    catching { () throws(CoreError) -> Int in
                        try checked("sendmsg(SCM_RIGHTS)") {
                            berth_send_fds(raw, fds.baseAddress, Int32(fds.count), payload.baseAddress, payload.count)
                        }
                    }
                }.get()
            }
        }
        // The descriptors went with the first byte; the rest of a partly sent payload follows plainly.
        if sent < message.count {
            try socket.write(Array(message[sent...]))
        }
    }

    /// Receives one message of up to `maxBytes` with up to `maxDescriptors` descriptors.
    /// More descriptors than `maxDescriptors` is an error (EMSGSIZE) and none are kept.
    public static func receiveFileDescriptors(
        from socket: FileDescriptor, maxDescriptors: Int = 16, maxBytes: Int = 4096
    ) throws(CoreError) -> ReceivedMessage {
        let limit = min(max(maxDescriptors, 0), Int(BERTH_CMSG_MAX_FDS))
        var fds = [Int32](repeating: -1, count: max(limit, 1))
        var bytes = [UInt8](repeating: 0, count: max(maxBytes, 0))
        var count: Int32 = 0
        let received = try socket.withRawValue { (raw: Int32) throws(CoreError) -> Int in
            try fds.withUnsafeMutableBufferPointer { (fdBuffer) throws(CoreError) -> Int in
                try bytes.withUnsafeMutableBytes { payload in
                    catching { () throws(CoreError) -> Int in
                        try checked("recvmsg(SCM_RIGHTS)") {
                            berth_recv_fds(raw, fdBuffer.baseAddress, Int32(limit), &count, payload.baseAddress, payload.count)
                        }
                    }
                }.get()
            }
        }
        bytes.removeLast(bytes.count - received)
        let owned = fds.prefix(Int(count)).map { FileDescriptor(adopting: $0) }
        return ReceivedMessage(bytes: bytes, descriptors: owned)
    }
}
