// ShimLogCollector: the shims' own logs, as containerd collects them — each task bundle has a
// `log` fifo that the shim writes its log lines to (containerd-shim-runc-v2 needs a reader there
// to start), and one thread of ours reads every such fifo and passes the lines to the
// supervisor's log, tagged with the task. The fifo is opened read-write, so it never reports end
// of file while a shim restarts or before one has opened it.
import Foundation
import Logging
import Sys

public final class ShimLogCollector: @unchecked Sendable {
    private struct Source {
        var fd: Int32
        var namespace: String
        var id: String
        var pending: [UInt8] = []
    }

    private let lock = NSLock()
    private var sources: [Int32: Source] = [:]
    private var thread: Thread?
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Makes (if needed) and starts reading `<bundle>/log`.
    public func collect(bundle: String, namespace: String, id: String) {
        let path = bundle + "/log"
        if mkfifo(path, 0o600) != 0 && errno != EEXIST {
            logger.warning("cannot make the shim log fifo", metadata: ["path": "\(path)", "errno": "\(errno)"])
            return
        }
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return }
        lock.withLock {
            sources[fd] = Source(fd: fd, namespace: namespace, id: id)
            if thread == nil {
                let reader = Thread { [weak self] in self?.run() }
                reader.name = "shim-logs"
                reader.stackSize = 256 << 10
                thread = reader
                reader.start()
            }
        }
    }

    /// Stops reading the log of a task being deleted.
    public func forget(namespace: String, id: String) {
        lock.withLock {
            for (fd, source) in sources where source.namespace == namespace && source.id == id {
                sources[fd] = nil
                close(fd)
            }
        }
    }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            var fds = lock.withLock { sources.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) } }
            guard poll(&fds, nfds_t(fds.count), 250) > 0 else { continue }
            for entry in fds where entry.revents & Int16(POLLIN) != 0 {
                lock.withLock {
                    guard var source = sources[entry.fd] else { return }
                    let count = read(entry.fd, &buffer, buffer.count)
                    guard count > 0 else { return }
                    source.pending += buffer[0..<count]
                    while let newline = source.pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: source.pending[..<newline], as: UTF8.self)
                        source.pending.removeSubrange(...newline)
                        logger.info("shim: \(line)", metadata: ["namespace": "\(source.namespace)", "id": "\(source.id)"])
                    }
                    sources[entry.fd] = source
                }
            }
        }
    }
}
