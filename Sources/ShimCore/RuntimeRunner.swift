// RuntimeRunner: runs the OCI runtime's command line (berth-runtime, runc, crun — runc's verbs
// and global flags, shared notes §3.6) without blocking the loop: the command is spawned, its exit
// arrives through the ProcessSupervisor, and only then is the completion called with its output.
// Output goes to memfds, not pipes, so nothing has to be read while it runs. A command that does
// not finish within its time limit is killed and reported as DeadlineExceeded.
import Errdefs
import Glibc
import Sys

public final class RuntimeRunner {
    public static let defaultTimeoutMilliseconds: Int64 = 60_000

    private let loop: ShimEventLoop
    private let supervisor: ProcessSupervisor
    private let log: ShimLog

    public init(loop: ShimEventLoop, supervisor: ProcessSupervisor, log: ShimLog) {
        self.loop = loop
        self.supervisor = supervisor
        self.log = log
    }

    /// Runs `config.binary` with `arguments`; `completion` gets its stdout on exit status 0, or
    /// an error carrying the runtime's message. `stdio` replaces the runtime's fds 0-2 (create
    /// hands it the container's stdio); otherwise stdin is `input` (or /dev/null) and stdout and
    /// stderr are captured.
    public func run(_ config: RuntimeConfig, _ arguments: [String], stdio: [Int32]? = nil, input: [UInt8]? = nil,
                    timeoutMilliseconds: Int64 = RuntimeRunner.defaultTimeoutMilliseconds,
                    completion: @escaping (Result<[UInt8], CoreError>) -> Void) {
        let verb = arguments.first ?? "?"
        let started: (pid: Int32, stdout: FileDescriptor, stderr: FileDescriptor)
        do {
            let stdout = try Linux.memfdCreate(name: "runtime-stdout")
            let stderr = try Linux.memfdCreate(name: "runtime-stderr")
            let stdin: FileDescriptor
            if let input {
                stdin = try Linux.memfdCreate(name: "runtime-stdin")
                try stdin.write(input)
                try stdin.seek(to: 0)
            } else {
                stdin = try FileDescriptor.open("/dev/null", flags: O_RDONLY)
            }
            var spawn = Spawn(executable: config.binary, arguments: config.commandLine(arguments),
                              environment: ProcessEnvironment.current())
            spawn.fileDescriptors = stdio ?? [stdin.rawValue, stdout.rawValue, stderr.rawValue]
            let pid = try withExtendedLifetime(stdin) { () throws(CoreError) -> Int32 in try spawn.start() }
            started = (pid, stdout, stderr)
        } catch {
            return completion(.failure(CoreError(error.code, "runtime \(verb): \(error.message)", cause: error.cause)))
        }
        log.debug("runtime \(verb) started as pid \(started.pid)")
        var timedOut = false
        let timer = loop.after(milliseconds: timeoutMilliseconds) {
            timedOut = true
            kill(started.pid, SIGKILL)
        }
        supervisor.onExit(of: started.pid) { [loop, config] exit in
            loop.cancel(timer: timer)
            let out = Self.contents(of: started.stdout)
            if timedOut {
                return completion(.failure(CoreError(.deadlineExceeded,
                    "runtime \(verb) did not finish within \(timeoutMilliseconds) ms and was killed")))
            }
            guard exit.status == .exited(0) else {
                var message = Self.lastLogMessage(config.logPath) ?? ""
                let err = String(decoding: Self.contents(of: started.stderr), as: UTF8.self)
                if message.isEmpty { message = Self.lastLine(err) }
                return completion(.failure(CoreError(.unknown, "runtime \(verb) failed: \(message): \(exit.status)")))
            }
            completion(.success(out))
        }
    }

    private static func contents(of memfd: FileDescriptor) -> [UInt8] {
        do {
            try memfd.seek(to: 0)
            return try memfd.readToEnd(limit: 4 << 20)
        } catch {
            return []
        }
    }

    private static func lastLine(_ text: String) -> String {
        String(text.split(separator: "\n").last ?? "")
    }

    /// The `msg` of the last line of the runtime's JSON log, e.g.
    /// `{"level":"error","msg":"container \"x\" does not exist","time":"…"}`.
    static func lastLogMessage(_ path: String) -> String? {
        guard let bytes = try? FileDescriptor.open(path, flags: O_RDONLY).readToEnd(limit: 16 << 20),
              let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").last else { return nil }
        return JSONString.value(of: "msg", in: line)
    }
}

/// The environment of this process, as "KEY=value" strings (what runtimes and hooks inherit).
public enum ProcessEnvironment {
    public static func current() -> [String] {
        var result: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            result.append(String(cString: entry))
            cursor += 1
        }
        return result
    }
}
