// HookRunner: runs the OCI lifecycle hooks of one stage (config.md "POSIX-platform Hooks"), in
// order, each with the container's state JSON on stdin, and turns the first failure into the error
// that fails the stage (runtime.md "Lifecycle"). Single-threaded like the rest of berth-runtime:
// stdio goes through memory files (memfd), never pipes or /tmp, and the wait is a waitpid(WNOHANG) poll,
// so neither a hook that never reads nor a background child it leaves behind can stall us.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import OCI
import Sys

/// Runs the hooks of one lifecycle stage, as runc's `Command.Run` does for each entry.
///
/// For every hook, in order:
/// - executes `hook.path`, which must be absolute (it is never looked up in PATH), with argv
///   `hook.args` (whose first element is argv[0], as with execv) or `[hook.path]` when `args` is
///   nil or empty, and exactly the environment `hook.env` (none when nil);
/// - in working directory "/", in a new process group, with stdin a memory file holding
///   `state.encoded()` and stdout and stderr captured to temp files (unlinked at once; the stage
///   error quotes stderr, or stdout when stderr is empty);
/// - waits for the hook itself to exit. Processes it leaves behind are not waited for and not
///   killed (a hook may start a daemon on purpose), except on timeout.
///
/// The caller decides what a failure means: the spec makes it fatal for every stage but
/// `poststop`, where the runtime only logs it and carries on with the next stage.
struct HookRunner {
    /// How much of a failed hook's output the error quotes.
    static let outputExcerptLimit = 1024

    /// Runs `hooks` in order and stops at the first failure, which it throws:
    /// - `invalidArgument`: a relative `path`, or a `timeout` that is not positive;
    /// - the class of the exec error (`notFound` for ENOENT, `permissionDenied` for EACCES, …):
    ///   the program could not be started; the message names the stage, the path and errno;
    /// - `deadlineExceeded`: it ran past `timeout` seconds. SIGKILL then goes to its whole
    ///   process group, so a shell hook's children die with it, and the message reads
    ///   "<stage> hook <path> timed out after N s";
    /// - `unknown`: it exited non-zero or was killed by a signal, e.g. "prestart hook /usr/bin/x
    ///   failed: exit status 3: <first KiB of stderr>". `unknown` rather than `failedPrecondition`
    ///   because the container is not in a wrong state: an external program failed for reasons
    ///   only its output explains, which is errdefs' generic class (runc returns a plain error too).
    ///
    /// `stage` is the config.json key ("prestart", "createRuntime", …), used only in messages.
    static func run(_ hooks: [Hook], stage: String, state: ContainerState) throws(CoreError) {
        guard !hooks.isEmpty else { return }
        let input = Array(try state.encoded())
        for hook in hooks {
            try runHook(hook, stage: stage, input: input)
        }
    }

    /// Runs one hook to completion (or to its timeout) and throws if it did not exit 0.
    private static func runHook(_ hook: Hook, stage: String, input: [UInt8]) throws(CoreError) {
        let name = "\(stage) hook \(hook.path)"
        guard hook.path.hasPrefix("/") else {
            throw CoreError(.invalidArgument, "\(name): path must be absolute")
        }
        if let timeout = hook.timeout, timeout <= 0 {
            throw CoreError(.invalidArgument, "\(name): timeout must be positive, got \(timeout)")
        }
        let argv = if let args = hook.args, !args.isEmpty { args } else { [hook.path] }
        var spawn = Spawn(executable: hook.path, arguments: Array(argv.dropFirst()), environment: hook.env ?? [])
        spawn.argv0 = argv[0]
        spawn.workingDirectory = "/"
        spawn.options = .newProcessGroup

        let stateInput = try stateFile(input, name: name)
        let output = try scratchFile(name: name)
        let errors = try scratchFile(name: name)
        spawn.fileDescriptors = [stateInput.rawValue, output.rawValue, errors.rawValue]
        let pid: pid_t
        do {
            pid = try spawn.start()
        } catch {
            throw CoreError(error.code, "\(name): cannot run: \(error.cause?.description ?? error.message)",
                            cause: error.cause)
        }
        try? stateInput.close()  // after start(): the descriptors must stay open until the child has them

        let status = try wait(for: pid, timeout: hook.timeout, name: name)
        guard status != .exited(0) else { return }
        let how = switch status {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
        let detail = excerpt(errors) ?? excerpt(output)
        throw CoreError(.unknown, "\(name) failed: \(how)" + (detail.map { ": \($0)" } ?? ""))
    }

    /// Polls for the exit of `pid`: 1 ms between checks at first, backing off to 20 ms, so fast
    /// hooks cost almost nothing and slow ones little CPU. Past the deadline, SIGKILLs the
    /// hook's process group (and the hook, in case it left the group), reaps it and throws.
    private static func wait(for pid: pid_t, timeout: Int?, name: String) throws(CoreError) -> ExitStatus {
        // Clamped so that the nanosecond arithmetic cannot overflow (2^31 s is 68 years).
        let deadline = timeout.map { monotonicNanoseconds() + UInt64(min($0, 1 << 31)) * 1_000_000_000 }
        var pause: UInt32 = 1_000
        while true {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid, let exit = ExitStatus(waitStatus: status) { return exit }
            let code = errno
            if result == -1 && code != EINTR {
                // ECHILD: someone else reaped it (SIGCHLD ignored, a global reaper): outcome unknown.
                throw CoreError(SystemCallFailure(call: "waitpid", path: "pid \(pid)", errno: code), context: name)
            }
            if let deadline, let timeout, monotonicNanoseconds() >= deadline {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                throw CoreError(.deadlineExceeded, "\(name) timed out after \(timeout) s")
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }

    /// A memory file holding `bytes`, rewound, for the hook's stdin. A file rather than a pipe:
    /// the hook reads it at its own pace or not at all, and we never block writing it. Memory
    /// rather than /tmp: startContainer hooks run inside the container, whose root may be read-only.
    private static func stateFile(_ bytes: [UInt8], name: String) throws(CoreError) -> FileDescriptor {
        do {
            let fd = try Linux.memfdCreate(name: "berth-hook-state")
            try fd.write(bytes)
            try fd.seek(to: 0)
            return fd
        } catch {
            throw CoreError(error.code, "\(name): state for stdin: \(error.message)", cause: error.cause)
        }
    }

    /// An empty memory file for stdout or stderr: nothing on disk, gone once every holder (the
    /// hook, anything it left behind, us) has closed it.
    private static func scratchFile(name: String) throws(CoreError) -> FileDescriptor {
        do { return try Linux.memfdCreate(name: "berth-hook-output") } catch {
            throw CoreError(error.code, "\(name): output file: \(error.message)", cause: error.cause)
        }
    }

    /// The start of a captured output file, at most `outputExcerptLimit` bytes (cut at a UTF-8
    /// boundary, "…" marking the cut), whitespace-trimmed; nil when there is nothing to show.
    static func excerpt(_ file: FileDescriptor) -> String? {
        var bytes = [UInt8](repeating: 0, count: outputExcerptLimit + 1)
        let count = file.withRawValue { fd in
            bytes.withUnsafeMutableBytes { buffer in pread(fd, buffer.baseAddress, buffer.count, 0) }
        }
        guard count > 0 else { return nil }
        bytes.removeLast(bytes.count - count)
        let truncated = bytes.count > outputExcerptLimit
        if truncated {
            bytes.removeLast(bytes.count - outputExcerptLimit)
            // Drop a multi-byte character the cut split: trailing continuation bytes, then their lead.
            while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
            if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }
        }
        let text = trimmed(String(decoding: bytes, as: UTF8.self))
        guard !text.isEmpty else { return nil }
        return truncated ? text + "…" : text
    }

    /// `text` without leading and trailing whitespace and newlines.
    private static func trimmed(_ text: String) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(text[first...last])
    }

    /// CLOCK_MONOTONIC in nanoseconds: deadlines immune to changes of the wall clock.
    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
