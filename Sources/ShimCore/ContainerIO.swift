// ContainerIO: the container's stdio as containerd describes it in Create — fifo paths (plain or
// `fifo://`), `file://` paths, or empty for none (shared notes §5). The container gets pipes;
// StreamPumps on the loop copy them to the destinations. Each output fifo is opened with our own
// read end first, so the open never blocks or fails for want of a reader and writes never raise
// EPIPE; the pumps keep the container from blocking when nobody reads. A terminal process instead
// gets a pty from the runtime: its master, once received, is pumped to the stdout destination and
// fed from the stdin fifo (a tty has no separate stderr). An output path `json-file://…` is the
// shim's own log file instead (JSONFileLog), which stdout and stderr may share; `journald://…`
// sends each line to the systemd journal (JournalLog).
import Errdefs
import Glibc
import Sys

public final class ContainerIO {
    /// The descriptors the runtime passes to the container as 0, 1, 2.
    public private(set) var containerSide: [FileDescriptor]
    private var pumps: [StreamPump] = []
    private var stdinPump: StreamPump?
    /// Our read ends of output fifos, held so writes never see "no reader".
    private var keepers: [FileDescriptor] = []
    /// Where an output stream goes: a descriptor (fifo or file), or the shim's log file.
    enum Output {
        case descriptor(FileDescriptor)
        case log(any ContainerLog)
    }

    /// A terminal's stdin source and output destination, until the pty master arrives.
    private var pendingTerminal: (stdin: FileDescriptor?, stdout: Output?)?
    /// The json-file logs this IO writes (one per distinct path).
    private var logFiles: [any ContainerLog] = []
    /// The pty master of a terminal process.
    public private(set) var console: FileDescriptor?
    private let loop: ShimEventLoop
    private let log: ShimLog

    /// Opens the destinations and makes the pipes. Throws before anything starts if a path
    /// cannot be opened.
    public init(stdin: String, stdout: String, stderr: String, terminal: Bool = false, loop: ShimEventLoop,
                log: ShimLog) throws(CoreError) {
        var side: [FileDescriptor] = []
        var keepers: [FileDescriptor] = []
        var pumps: [StreamPump] = []
        var stdinPump: StreamPump?
        var logFiles: [any ContainerLog] = []
        self.loop = loop
        self.log = log

        if terminal {
            let input = stdin.isEmpty ? nil : try FileDescriptor.open(try Self.fifoPath(stdin), flags: O_RDWR | O_NONBLOCK)
            let output = stdout.isEmpty ? nil : try Self.openOutput(stdout, keepers: &keepers, logFiles: &logFiles, log: log)
            pendingTerminal = (input, output)
            containerSide = []
            self.keepers = keepers
            self.logFiles = logFiles
            return
        }
        do {
            if stdin.isEmpty {
                side.append(try FileDescriptor.open("/dev/null", flags: O_RDONLY))
            } else {
                // Read-write: we count as a writer too, so the container sees EOF only through CloseIO,
                // not whenever a client closes its end (containerd's semantics).
                let fifo = try FileDescriptor.open(try Self.fifoPath(stdin), flags: O_RDWR | O_NONBLOCK)
                let pipe = try Pipe()
                side.append(pipe.readEnd)
                stdinPump = try StreamPump(name: "stdin", from: fifo, to: pipe.writeEnd, dropsWhenFull: false, loop: loop, log: log)
            }
            for (name, path) in [("stdout", stdout), ("stderr", stderr)] {
                if path.isEmpty {
                    side.append(try FileDescriptor.open("/dev/null", flags: O_WRONLY))
                    continue
                }
                let output = try Self.openOutput(path, keepers: &keepers, logFiles: &logFiles, log: log)
                let pipe = try Pipe()
                side.append(pipe.writeEnd)
                pumps.append(try Self.pump(name, from: pipe.readEnd, to: output, loop: loop, log: log))
            }
        } catch {
            // Nothing may stay watched by the loop once we fail.
            for pump in pumps { pump.close() }
            stdinPump?.close()
            for file in logFiles { file.close() }
            throw error
        }
        containerSide = side
        self.pumps = pumps
        self.stdinPump = stdinPump
        self.keepers = keepers
        self.logFiles = logFiles
    }

    /// Opens an output destination: a `json-file://` log (shared when both streams name the same
    /// file), a `file://` path (appended to) or a fifo (with a read end of our own kept in `keepers`).
    static func openOutput(_ path: String, keepers: inout [FileDescriptor], logFiles: inout [any ContainerLog],
                           log: ShimLog) throws(CoreError) -> Output {
        if path.hasPrefix(JournalLog.scheme) {
            if let shared = logFiles.first(where: { $0 is JournalLog || $0 is TeeLog }) {
                return .log(shared)  // stdout and stderr share the one journal connection
            }
            let journal = try JournalLog(uri: path, log: log)
            guard let cache = journal.cachePath else {
                logFiles.append(journal)
                return .log(journal)
            }
            let tee = TeeLog(journal, try JSONFileLog(JSONFileLog.Options(path: cache, maxSize: 20 << 20, maxFiles: 5), log: log))
            logFiles.append(tee)
            return .log(tee)
        }
        if path.hasPrefix(JSONFileLog.scheme) {
            let options = try JSONFileLog.parse(path)
            if let shared = logFiles.compactMap({ $0 as? JSONFileLog }).first(where: { $0.options.path == options.path }) {
                guard shared.options == options else {
                    throw CoreError(.invalidArgument, "log \(options.path): stdout and stderr ask for different rotation")
                }
                return .log(shared)
            }
            let file = try JSONFileLog(options, log: log)
            logFiles.append(file)
            return .log(file)
        }
        if path.hasPrefix("file://") {
            let file = String(path.dropFirst("file://".count))
            return .descriptor(try FileDescriptor.open(file, flags: O_WRONLY | O_CREAT | O_APPEND, mode: 0o640))
        }
        let fifo = try fifoPath(path)
        keepers.append(try FileDescriptor.open(fifo, flags: O_RDONLY | O_NONBLOCK))
        return .descriptor(try FileDescriptor.open(fifo, flags: O_WRONLY | O_NONBLOCK))
    }

    /// A pump copying `source` to `output` as the stream `name`.
    static func pump(_ name: String, from source: FileDescriptor, to output: Output, loop: ShimEventLoop,
                     log: ShimLog) throws(CoreError) -> StreamPump {
        switch output {
        case .descriptor(let fd):
            return try StreamPump(name: name, from: source, to: fd, dropsWhenFull: true, loop: loop, log: log)
        case .log(let file):
            // A terminal has one stream; docker logs it as stdout.
            return try StreamPump(name: name, from: source, into: file, stream: name == "stderr" ? "stderr" : "stdout",
                                  loop: loop, log: log)
        }
    }

    /// Starts copying a terminal process's pty (its master, which this takes over).
    public func attachConsole(_ master: FileDescriptor) throws(CoreError) {
        guard let pending = pendingTerminal else { return }
        pendingTerminal = nil
        console = master
        if let output = pending.stdout {
            pumps.append(try Self.pump("pty", from: try master.duplicate(), to: output, loop: loop, log: log))
        }
        if let input = pending.stdin {
            stdinPump = try StreamPump(name: "stdin", from: input, to: try master.duplicate(), dropsWhenFull: false, loop: loop, log: log)
        }
    }

    /// A fifo path without its scheme; other schemes (binary://) are not supported yet.
    static func fifoPath(_ path: String) throws(CoreError) -> String {
        if path.hasPrefix("fifo://") { return String(path.dropFirst("fifo://".count)) }
        if path.contains("://") {
            throw CoreError(.unimplemented, "stdio \(path): only fifo and file:// paths are supported by berth-shim")
        }
        return path
    }

    /// Closes the shim's copies of the container's ends once the runtime has them, so the
    /// output pipes reach EOF when the container's processes are gone.
    public func closeContainerSide() {
        for fd in containerSide { try? fd.close() }
        containerSide = []
    }

    /// Copies whatever output is buffered in the pipes now.
    public func drainOutput() {
        for pump in pumps { pump.drain() }
    }

    /// Closes the container's stdin (CloseIO): it reads EOF once the pending input is consumed.
    public func closeStdin() {
        stdinPump?.close()
        stdinPump = nil
    }

    /// Bytes dropped so far because nobody read an output fifo.
    public var droppedBytes: Int { pumps.reduce(0) { $0 + $1.droppedBytes } + logFiles.reduce(0) { $0 + $1.droppedBytes } }

    public func close() {
        closeContainerSide()
        drainOutput()
        for pump in pumps { pump.close() }
        pumps = []
        closeStdin()
        for keeper in keepers { try? keeper.close() }
        keepers = []
        if let pending = pendingTerminal {
            try? pending.stdin?.close()
            if case .descriptor(let fd) = pending.stdout { try? fd.close() }
            pendingTerminal = nil
        }
        for file in logFiles { file.close() }
        logFiles = []
        try? console?.close()
        console = nil
    }
}
