// EventPublisher: forwards task events to the supervisor's ttrpc events service
// (`containerd.services.events.ttrpc.v1.Events/Forward` at $TTRPC_ADDRESS, shared notes §4) and
// never drops one. Each event is first written durably to the bundle's `events/` spool (one file
// per event, named by sequence number), then sent; its file is removed only when the supervisor
// acknowledges it. One event is in flight at a time, so they arrive in order. A supervisor that
// is down, refuses, errs or does not answer within 5 s is retried with backoff (0.1 s doubling to
// 5 s) for as long as it takes — containerd's own shim gives up after ~15 s. A daemon started on
// a bundle whose spool still holds events replays them first. Connect, write and read are
// non-blocking on the event loop.
import Errdefs
import Glibc
import RPCFraming
import Sys

public final class EventPublisher {
    static let service = "containerd.services.events.ttrpc.v1.Events"
    static let replyTimeoutMilliseconds: Int64 = 5_000
    static let maxBackoffMilliseconds: Int64 = 5_000
    static let namespaceKey = "containerd-namespace-ttrpc"

    private struct Spooled {
        var sequence: UInt64
        /// The ForwardRequest bytes.
        var payload: [UInt8]
    }

    private let socketPath: String
    private let namespace: String
    private let spool: String
    private let loop: ShimEventLoop
    private let log: ShimLog
    private var queue: [Spooled] = []
    private var nextSequence: UInt64 = 1
    private var connection: FileDescriptor?
    private var decoder = FrameDecoder()
    private var outbound: [UInt8] = []
    private var nextStreamID: UInt32 = 1
    /// The stream of the Forward awaiting its reply.
    private var inFlight: UInt32?
    private var replyTimer: Int?
    private var retryTimer: Int?
    private var backoff: Int64 = 0
    private var failures = 0

    /// `address` is $TTRPC_ADDRESS (a path, or `unix://` + path); events are spooled under
    /// `<bundle>/events`.
    public init(address: String, namespace: String, bundle: String, loop: ShimEventLoop, log: ShimLog) {
        socketPath = address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
        self.namespace = namespace
        spool = "\(bundle)/events"
        self.loop = loop
        self.log = log
        loadSpool()
        if !queue.isEmpty {
            log.info("replaying \(queue.count) unacknowledged events")
            sendNext()
        }
    }

    /// Events published and not yet acknowledged.
    public var pendingCount: Int { queue.count }

    /// Tries the head event again now instead of when the backoff ends: the supervisor just
    /// spoke to this shim (Connect after its restart, or Shutdown), so it is up again.
    public func retryNow() {
        guard let retryTimer else { return }
        loop.cancel(timer: retryTimer)
        self.retryTimer = nil
        backoff = 0
        sendNext()
    }

    /// Spools `event` durably, then queues it for sending.
    public func publish(_ event: TaskEvent) {
        var envelope = EventEnvelope()
        envelope.timestamp = .now()
        envelope.namespace = namespace
        envelope.topic = event.topic
        envelope.event = event.event
        var request = ForwardRequest()
        request.envelope = envelope
        let entry = Spooled(sequence: nextSequence, payload: request.protoBytes)
        nextSequence += 1
        do {
            if queue.isEmpty { _ = Glibc.mkdir(spool, 0o700) }
            try AtomicFile.write(entry.payload, to: fileName(entry.sequence), mode: 0o600)
        } catch {
            // Still sent; only its survival of this shim's death is lost.
            log.error("spooling event \(event.topic): \(error.message)")
        }
        queue.append(entry)
        log.debug("event \(event.topic) queued as \(entry.sequence)")
        if inFlight == nil && retryTimer == nil { sendNext() }
    }

    private func fileName(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return "\(spool)/\(String(repeating: "0", count: max(0, 20 - digits.count)))\(digits)"
    }

    /// Reads the spool left by an earlier daemon, oldest first.
    private func loadSpool() {
        guard let dir = opendir(spool) else { return }
        var sequences: [UInt64] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let sequence = UInt64(name) { sequences.append(sequence) }
        }
        closedir(dir)
        for sequence in sequences.sorted() {
            guard let bytes = try? AtomicFile.read(fileName(sequence)) else { continue }
            queue.append(Spooled(sequence: sequence, payload: bytes))
        }
        nextSequence = (sequences.max() ?? 0) + 1
    }

    private func sendNext() {
        guard inFlight == nil, let head = queue.first else { return }
        if connection == nil {
            do {
                let socket = try UnixSocket.connect(path: socketPath, nonBlocking: true)
                connection = socket
                decoder = FrameDecoder()
                loop.watch(socket.rawValue, .readable) { [unowned self] events in ready(events) }
            } catch {
                return failed("connect \(socketPath): \(error.message)")
            }
        }
        var request = TTRPCRequest()
        request.service = Self.service
        request.method = "Forward"
        request.payload = head.payload
        request.timeoutNano = Self.replyTimeoutMilliseconds * 1_000_000
        request.metadata = [TTRPCRequest.KeyValue(Self.namespaceKey, namespace)]
        let streamID = nextStreamID
        nextStreamID &+= 2
        do {
            try Frame.append(streamID: streamID, typeByte: FrameType.request.rawValue, flags: [],
                             payload: request.protoBytes, to: &outbound)
        } catch {
            // Cannot happen for an event the shim built; drop it rather than wedge the queue.
            log.error("event \(head.sequence) cannot be framed: \(error.message)")
            return acknowledged()
        }
        inFlight = streamID
        replyTimer = loop.after(milliseconds: Self.replyTimeoutMilliseconds) { [unowned self] in
            replyTimer = nil
            failed("no reply within \(Self.replyTimeoutMilliseconds) ms")
        }
        flush()
    }

    private func ready(_ events: PollEvents) {
        if events.contains(.writable) { flush() }
        guard connection != nil else { return }
        if events.contains(.readable) || events.contains(.hangup) { readReplies() }
    }

    private func flush() {
        guard let connection else { return }
        while !outbound.isEmpty {
            let written = outbound.withUnsafeBytes { buffer in
                connection.withRawValue { Glibc.send($0, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
            }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN { break }
                return failed("write: errno \(code)")
            }
            outbound.removeFirst(written)
        }
        loop.update(connection.rawValue, outbound.isEmpty ? .readable : [.readable, .writable])
    }

    private func readReplies() {
        guard let connection else { return }
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in connection.withRawValue { Glibc.read($0, raw.baseAddress, raw.count) } }
            if count == 0 { return failed("connection closed by the events service") }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN { break }
                return failed("read: errno \(code)")
            }
            decoder.append(buffer[0..<count])
        }
        while let decoded = decoder.next() {
            guard case .frame(let frame) = decoded, frame.type == .response else {
                return failed("the events service sent something other than a ttrpc response")
            }
            guard frame.streamID == inFlight else { continue }
            let status: RPCStatus?
            do {
                status = try TTRPCResponse(protoBytes: frame.payload).status
            } catch {
                return failed("malformed reply: \(error.message)")
            }
            if let status, status.code != 0 {
                return failed("Forward failed: \(status.message) (code \(status.code))")
            }
            acknowledged()
        }
    }

    private func acknowledged() {
        if let replyTimer { loop.cancel(timer: replyTimer) }
        replyTimer = nil
        inFlight = nil
        let done = queue.removeFirst()
        unlink(fileName(done.sequence))
        if failures > 0 { log.info("events delivered again after \(failures) failed attempts") }
        backoff = 0
        failures = 0
        sendNext()
    }

    /// Drops the connection and tries the head event again after the backoff.
    private func failed(_ reason: String) {
        if failures == 0 { log.warn("publishing events: \(reason); retrying until delivered") } else { log.debug("publishing events: \(reason)") }
        failures += 1
        if let replyTimer { loop.cancel(timer: replyTimer) }
        replyTimer = nil
        inFlight = nil
        outbound = []
        if let connection {
            loop.unwatch(connection.rawValue)
            try? connection.close()
        }
        connection = nil
        backoff = min(max(backoff * 2, 100), Self.maxBackoffMilliseconds)
        guard retryTimer == nil else { return }
        retryTimer = loop.after(milliseconds: backoff) { [unowned self] in
            retryTimer = nil
            sendNext()
        }
    }
}
