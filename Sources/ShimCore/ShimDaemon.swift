// ShimDaemon: the long-lived shim process `start` leaves behind. It serves ttrpc on the listener
// it inherited as fd 3, is the child subreaper of its container, reaps from a signalfd, and runs
// everything on one thread in one poll loop. It exits on Shutdown, or on SIGTERM/SIGINT when it
// holds no running container, after writing the replies still queued and removing its socket.
import Errdefs
import Glibc
import Sys

public enum ShimDaemon {
    /// How long queued replies may take to drain on the way out.
    static let flushLimitMilliseconds: Int64 = 2_000
    /// How long unacknowledged events may hold up the exit (they stay spooled in the bundle).
    static let eventsFlushLimitMilliseconds: Int64 = 5_000

    /// Serves until shutdown; returns the process exit status.
    public static func run(flags: ShimFlags, bundle: String, shimDirectory: String) -> Int32 {
        let log = ShimLog(debug: flags.debug)
        _ = fcntl(2, F_SETFL, fcntl(2, F_GETFL) | O_NONBLOCK)  // a full log fifo must not block the loop
        signal(SIGPIPE, SIG_IGN)
        let socketPath = flags.socket.hasPrefix("unix://") ? String(flags.socket.dropFirst("unix://".count)) : flags.socket
        do {
            try Linux.setChildSubreaper()
            let loop = ShimEventLoop()
            let supervisor = try ProcessSupervisor(loop: loop)
            let server = ShimServer(listener: FileDescriptor(adopting: 3), loop: loop, log: log)
            let config = ShimConfig(namespace: flags.namespace, id: flags.id, address: flags.address,
                                    bundle: bundle, shimDirectory: shimDirectory, debug: flags.debug)
            let service = ShimTaskService(config: config, loop: loop, supervisor: supervisor, log: log)
            if let address = getenv("TTRPC_ADDRESS").map({ String(cString: $0) }), !address.isEmpty {
                service.events = EventPublisher(address: address, namespace: flags.namespace, bundle: bundle, loop: loop, log: log)
            }
            server.dispatcher = { request, token in service.handle(request, token) }
            server.connectionClosed = { service.connectionClosed($0) }
            service.reply = { token, result in server.reply(token, result) }

            var exiting = false
            let shutDown = {
                guard !exiting else { return }
                exiting = true
                log.info("shutting down")
                server.stopListening()
                if !socketPath.isEmpty { unlink(socketPath) }
                service.events?.retryNow()  // whoever asked is up: flush now, not when the backoff ends
                let deadline = monotonicNanoseconds() + flushLimitMilliseconds * 1_000_000
                let eventsDeadline = monotonicNanoseconds() + eventsFlushLimitMilliseconds * 1_000_000
                func finishWhenFlushed() {
                    let now = monotonicNanoseconds()
                    let eventsDone = (service.events?.pendingCount ?? 0) == 0 || now > eventsDeadline
                    if (!server.hasPendingOutput || now > deadline) && eventsDone {
                        if let pending = service.events?.pendingCount, pending > 0 {
                            log.warn("exiting with \(pending) events unacknowledged; they stay in \(bundle)/events")
                        }
                        server.closeAll()
                        loop.stop()
                    } else {
                        loop.after(milliseconds: 10, finishWhenFlushed)
                    }
                }
                // After this iteration, so the reply to Shutdown itself is queued first.
                loop.after(milliseconds: 0, finishWhenFlushed)
            }
            service.requestShutdown = shutDown
            supervisor.signalReceived = { signal in
                if service.holdsContainer && !service.containerExited {
                    log.warn("signal \(signal) ignored: the container is still running")
                } else {
                    shutDown()
                }
            }
            // Once quiet for a second, the shim gives back the code pages it faulted in.
            loop.whenIdle(milliseconds: 1_000) { ResidentMemory.releaseCode() }
            try server.start()
            supervisor.reap()  // children that exited before the signalfd existed
            log.info("serving \(flags.namespace)/\(flags.id) on \(flags.socket), pid \(getpid())")
            try loop.run()
            return 0
        } catch {
            log.error("shim failed: \(error.message)")
            if !socketPath.isEmpty { unlink(socketPath) }
            return 1
        }
    }
}
