// HookRunnerTests: HookRunner.run against real hooks — small /bin/sh scripts in a temporary
// directory — checking the state on stdin, argv and environment passed exactly, ordering, the
// failure message, timeouts, background children left behind, and paths that cannot run.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import OCI
import TestSupport
import Testing

@testable import RuntimeCore

@Suite(.offPool) struct HookRunnerTests {
    let state = ContainerState(id: "hooked-1", status: .created, pid: 4242, bundle: "/run/bundles/hooked-1",
                               rootfs: "/run/bundles/hooked-1/rootfs", annotations: ["k": "v"])

    @Test func hookReadsTheStateOnStdin() throws {
        let dir = try TemporaryDirectory(prefix: "berth-hooks")
        let hook = try dir.script("copy", "/bin/cat > '\(dir.path)/stdin.json'")
        try HookRunner.run([hook], stage: "prestart", state: state)
        let decoded = try ContainerState.decode(from: Array(try dir.read("stdin.json").utf8))
        #expect(decoded == state)
        #expect(decoded.id == "hooked-1" && decoded.status == .created && decoded.pid == 4242)
        #expect(decoded.bundle == "/run/bundles/hooked-1")
    }

    @Test func argvAndEnvironmentArePassedExactly() throws {
        let dir = try TemporaryDirectory(prefix: "berth-hooks")
        // sh is exec'd directly (a script's argv[0] is replaced by the kernel's shebang handling),
        // so /proc/$$/cmdline and /proc/$$/environ show exactly what execve received.
        let body = "/usr/bin/tr '\\0' '\\n' < /proc/$$/cmdline > '\(dir.path)/argv'; "
            + "/usr/bin/tr '\\0' '\\n' < /proc/$$/environ > '\(dir.path)/env'; pwd > '\(dir.path)/cwd'"
        let hook = Hook(path: "/bin/sh", args: ["custom-argv0", "-c", body, "dollar0", "two words"],
                        env: ["FOO=bar", "EMPTY=", "SPACED=a b"])
        try HookRunner.run([hook], stage: "createRuntime", state: state)
        #expect(try dir.read("argv") == "custom-argv0\n-c\n\(body)\ndollar0\ntwo words\n")
        #expect(try dir.read("env") == "FOO=bar\nEMPTY=\nSPACED=a b\n")  // nothing inherited leaks in
        #expect(try dir.read("cwd") == "/\n")
    }

    @Test func withoutArgsArgvIsThePathAndWithoutEnvTheEnvironmentIsEmpty() throws {
        let dir = try TemporaryDirectory(prefix: "berth-hooks")
        let hook = try dir.script("plain", """
            echo "$0 $# $@" > '\(dir.path)/argv'
            /usr/bin/tr '\\0' '\\n' < /proc/$$/environ > '\(dir.path)/env'
            """, env: nil)
        try HookRunner.run([hook], stage: "poststart", state: state)
        #expect(try dir.read("argv") == "\(hook.path) 0 \n")
        #expect(try dir.read("env") == "")
    }

    @Test func hooksRunInOrder() throws {
        let dir = try TemporaryDirectory(prefix: "berth-hooks")
        let hooks = try ["one", "two", "three"].map { name in
            try dir.script(name, "echo \(name) >> '\(dir.path)/order'")
        }
        try HookRunner.run(hooks, stage: "createContainer", state: state)
        #expect(try dir.read("order") == "one\ntwo\nthree\n")
        try HookRunner.run([], stage: "createContainer", state: state)  // nothing to run is fine
    }

    @Test func aFailingHookStopsTheListAndIsNamedInTheError() throws {
        let dir = try TemporaryDirectory(prefix: "berth-hooks")
        let first = try dir.script("first", "echo first >> '\(dir.path)/order'")
        let failing = try dir.script("failing", "echo 'out here'; echo 'network setup broke' >&2; exit 3")
        let never = try dir.script("never", "echo never >> '\(dir.path)/order'")
        let error = try #require(throws: CoreError.self) {
            try HookRunner.run([first, failing, never], stage: "prestart", state: state)
        }
        #expect(error.code == .unknown)
        #expect(error.message == "prestart hook \(failing.path) failed: exit status 3: network setup broke")
        #expect(try dir.read("order") == "first\n")
    }

    @Test func stdoutIsQuotedWhenStderrIsEmptyAndSignalsAreReported() throws {
        let dir = try TemporaryDirectory(prefix: "berth-hooks")
        let quiet = try dir.script("quiet", "echo 'only stdout'; exit 1")
        let quietError = try #require(throws: CoreError.self) {
            try HookRunner.run([quiet], stage: "poststart", state: state)
        }
        #expect(quietError.message == "poststart hook \(quiet.path) failed: exit status 1: only stdout")
        let killed = try dir.script("killed", "kill -9 $$")
        let killedError = try #require(throws: CoreError.self) {
            try HookRunner.run([killed], stage: "poststop", state: state)
        }
        #expect(killedError.message == "poststop hook \(killed.path) failed: killed by signal 9")
    }

    @Test func longStderrIsCutToAboutOneKiB() throws {
        let dir = try TemporaryDirectory(prefix: "berth-hooks")
        // 3 bytes, then 12-byte tokens starting with the 2-byte "é": byte 1024 splits an "é".
        let noisy = try dir.script("noisy", "printf abc >&2; i=0; while [ $i -lt 500 ]; do printf 'é-err-%04d ' $i >&2; i=$((i+1)); done; exit 2")
        let error = try #require(throws: CoreError.self) {
            try HookRunner.run([noisy], stage: "prestart", state: state)
        }
        let prefix = "prestart hook \(noisy.path) failed: exit status 2: abcé-err-0000 é-err-0001"
        #expect(error.message.hasPrefix(prefix))
        #expect(error.message.hasSuffix("é-err-0084…"))
        #expect(!error.message.contains("\u{FFFD}"))  // the cut did not split a character
        let quoted = error.message.utf8.count - "prestart hook \(noisy.path) failed: exit status 2: ".utf8.count
        #expect(quoted > 900 && quoted <= HookRunner.outputExcerptLimit + "…".utf8.count)
    }

    @Test func aHookPastItsTimeoutIsKilledWithItsChildren() throws {
        let dir = try TemporaryDirectory(prefix: "berth-hooks")
        let slow = Hook(path: try dir.script("slow", "/bin/sleep 30 & echo $! > '\(dir.path)/child'; wait").path,
                        env: ["PATH=/usr/bin:/bin"], timeout: 1)
        let started = monotonicSeconds()
        let error = try #require(throws: CoreError.self) {
            try HookRunner.run([slow], stage: "prestart", state: state)
        }
        let elapsed = monotonicSeconds() - started
        #expect(error.code == .deadlineExceeded)
        #expect(error.message == "prestart hook \(slow.path) timed out after 1 s")
        #expect(elapsed >= 0.9 && elapsed < 15)  // killed at 1 s, not after the 30 s sleep (a loaded CI machine is slow)
        // The sleep was in the hook's process group, so it died too (a zombie until init reaps it).
        let child = try #require(Int32(try dir.read("child").trimmingSpaces()))
        defer { kill(child, SIGKILL) }
        #expect(waitUntil(seconds: 20) { processGone(child) })
    }

    @Test func aBackgroundChildLeftBehindIsNotWaitedFor() throws {
        let dir = try TemporaryDirectory(prefix: "berth-hooks")
        let hook = try dir.script("daemonize", "/bin/sleep 60 & echo $! > '\(dir.path)/child'; echo started")
        let started = monotonicSeconds()
        try HookRunner.run([hook], stage: "poststart", state: state)
        #expect(monotonicSeconds() - started < 20)  // not the child's 60 s (a loaded CI machine took 2.8 s for this)
        let child = try #require(Int32(try dir.read("child").trimmingSpaces()))
        #expect(!processGone(child))  // left alone on success
        kill(child, SIGKILL)
    }

    @Test func pathsThatCannotRunFailClearly() throws {
        let dir = try TemporaryDirectory(prefix: "berth-hooks")
        let missing = Hook(path: "\(dir.path)/does-not-exist")
        let missingError = try #require(throws: CoreError.self) {
            try HookRunner.run([missing], stage: "prestart", state: state)
        }
        #expect(missingError.code == .notFound)
        #expect(missingError.message.hasPrefix("prestart hook \(missing.path): cannot run: execve \(missing.path):"))

        try dir.write("not-executable", mode: 0o644, contents: "#!/bin/sh\nexit 0\n")
        let plain = Hook(path: "\(dir.path)/not-executable")
        let plainError = try #require(throws: CoreError.self) {
            try HookRunner.run([plain], stage: "poststop", state: state)
        }
        #expect(plainError.code == .permissionDenied)
        #expect(plainError.message.contains(plain.path))

        let relative = try #require(throws: CoreError.self) {
            try HookRunner.run([Hook(path: "bin/true")], stage: "prestart", state: state)
        }
        #expect(relative.code == .invalidArgument)
        #expect(relative.message == "prestart hook bin/true: path must be absolute")
        let zero = try #require(throws: CoreError.self) {
            try HookRunner.run([Hook(path: "/bin/true", timeout: 0)], stage: "prestart", state: state)
        }
        #expect(zero.code == .invalidArgument)
    }
}

extension TemporaryDirectory {
    /// Writes an executable /bin/sh script and returns a hook running it (PATH set unless `env` says otherwise).
    func script(_ name: String, _ body: String, env: [String]? = ["PATH=/usr/bin:/bin"]) throws -> Hook {
        try write(name, mode: 0o755, contents: "#!/bin/sh\n\(body)\n")
        return Hook(path: "\(path)/\(name)", env: env)
    }
}

private extension String {
    func trimmingSpaces() -> String { String(filter { !$0.isWhitespace }) }
}

/// True once `pid` no longer exists or is a zombie.
private func processGone(_ pid: Int32) -> Bool {
    guard let stat = ProcFS.stat(pid) else { return true }
    return stat.state == "Z" || stat.state == "X"
}

private func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let end = monotonicSeconds() + seconds
    while monotonicSeconds() < end {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

private func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
