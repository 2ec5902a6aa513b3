// DaemonMemory: what berth-engine and berth-supervisor do to stay small while idle (figures in
// docs/architecture.md). configure() runs first thing in main, before any other thread exists;
// releaseWhenIdle() runs for the daemon's lifetime.
import Errdefs
import Glibc
import NIOCore
import Synchronization
import Sys

public enum DaemonMemory {
    /// One malloc arena: the daemons' threads (NIO's loops, the concurrency pool, short-lived
    /// helper threads) would otherwise each get an arena of their own, and every arena keeps
    /// the pages its freed blocks held. One NIO event loop (MultiThreadedEventLoopGroup.singleton,
    /// which RPCServer and RPCClient use): the loop only moves ttrpc frames, every call runs as
    /// a task of its own, so one thread carries a daemon's connections; NIO's default is one per
    /// core. No per-thread malloc caches (MallocThreadCache, which re-executes the daemon once
    /// to set that): NIO's loop and the main thread stay for the daemon's life, and the blocks
    /// they cached during a busy spell kept about 2 MiB of the heap resident after it.
    public static func configure() {
        MallocThreadCache.disable()
        ResidentMemory.limitMallocArenas(to: 1)
        NIOSingletons.groupLoopCountSuggestion = 1
    }

    /// Every `interval`, asks whether the process was quiet through it (QuietSpell); on the first
    /// quiet interval after activity, gives back what idling does not need: the code pages
    /// faulted in while busy (ResidentMemory.releaseCode — they stay in the page cache and fault
    /// back on the next call, as in berth-shim) and the malloc heap's free pages; and once more
    /// when the spell has lasted `settle` intervals, after the threads a busy spell started have
    /// ended and handed their caches back to the heap (below). Returns when the task is cancelled.
    ///
    /// The readings are taken on a plain thread of their own, asleep in poll(2) between them. On
    /// Swift concurrency's threads they kept those threads alive: they are libdispatch workers,
    /// which end after 5 s without work — and with them the blocks they keep cached for
    /// themselves (malloc's per-thread cache, up to 7 blocks of each small size, and libdispatch's
    /// cache of up to 1024 continuations, one per job it ran). Scattered over the heap, those
    /// blocks held about 1.7 MiB of each daemon's heap resident after a busy spell. On NIO's loop
    /// instead, each reading ran a loop turn whose code faulted back in, 1.5 MiB of it.
    public static func releaseWhenIdle(interval: Duration = .seconds(1), busyCPU: Duration = .milliseconds(10),
                                       settle: Int = 8) async {
        let spell = QuietSpell(frames: RPCActivity.count, cpu: processCPUTime(), busyCPU: busyCPU, settle: settle)
        let milliseconds = interval.components.seconds * 1_000 + interval.components.attoseconds / 1_000_000_000_000_000
        guard let watcher = try? IdleWatcher(spell, milliseconds: Int32(clamping: max(1, milliseconds))),
              watcher.start() else { return }
        await withTaskCancellationHandler {
            await watcher.waitUntilStopped()
        } onCancel: {
            watcher.stop()
        }
    }

    static func processCPUTime() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }
}

/// The thread that takes DaemonMemory's readings: it sleeps in poll(2) on a pipe between them, and
/// stop() writes the pipe, which ends it at once.
private final class IdleWatcher: @unchecked Sendable {
    private var spell: QuietSpell  // the watcher thread's own
    private let milliseconds: Int32
    private let wake: Pipe
    private let state = Mutex<(stopped: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    init(_ spell: QuietSpell, milliseconds: Int32) throws(CoreError) {
        self.spell = spell
        self.milliseconds = milliseconds
        wake = try Pipe()
    }

    /// Starts the thread (a small stack: it runs this loop and the release); false if it cannot.
    func start() -> Bool {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 256 << 10)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let started = pthread_create(&thread, &attributes, { context in
            Unmanaged<IdleWatcher>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard started == 0 else {
            Unmanaged<IdleWatcher>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    private func run() {
        var ready = pollfd(fd: wake.readEnd.rawValue, events: Int16(POLLIN), revents: 0)
        while true {
            let result = poll(&ready, 1, milliseconds)
            if result > 0 || (result < 0 && errno != EINTR) { return }  // stopped (or poll broke)
            if result == 0 { tick() }
        }
    }

    private func tick() {
        guard spell.observe(frames: RPCActivity.count, cpu: DaemonMemory.processCPUTime()) else { return }
        ResidentMemory.releaseCode()
        ResidentMemory.releaseFreeHeap()  // second: releaseCode's own buffers are free by now
        spell.rebase(cpu: DaemonMemory.processCPUTime())  // the release's own work is not activity
    }

    /// Ends the thread and resumes the waiter (once; later calls do nothing).
    func stop() {
        let (first, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.stopped else { return (false, nil) }
            state.stopped = true
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wake.writeEnd.rawValue, &byte, 1)
        waiter?.resume()
    }

    /// Returns once stop() has been called.
    func waitUntilStopped() async {
        await withCheckedContinuation { continuation in
            let stopped = state.withLock { state -> Bool in
                if !state.stopped { state.waiter = continuation }
                return state.stopped
            }
            if stopped { continuation.resume() }
        }
    }
}

/// Tells quiet spells from readings taken once per interval: an interval is quiet when no ttrpc
/// frame moved (RPCActivity) and the process used less than `busyCPU` of CPU time. observe()
/// answers true on a spell's first quiet interval and on its `settle`-th (once the threads the
/// busy spell woke have ended), and again only after a busy interval.
struct QuietSpell {
    let busyCPU: Duration
    let settle: Int
    private var frames: UInt64
    private var cpu: Duration
    private var quietIntervals = 0

    init(frames: UInt64, cpu: Duration, busyCPU: Duration, settle: Int = 8) {
        self.frames = frames
        self.cpu = cpu
        self.busyCPU = busyCPU
        self.settle = settle
    }

    /// Takes the readings at the end of an interval; true if memory should be released now.
    mutating func observe(frames nowFrames: UInt64, cpu nowCPU: Duration) -> Bool {
        let quiet = nowFrames == frames && nowCPU - cpu < busyCPU
        frames = nowFrames
        cpu = nowCPU
        guard quiet else {
            quietIntervals = 0
            return false
        }
        if quietIntervals <= settle { quietIntervals += 1 }
        return quietIntervals == 1 || quietIntervals == settle
    }

    /// Moves the CPU reading past work that should not count as activity (the release itself).
    mutating func rebase(cpu nowCPU: Duration) { cpu = nowCPU }
}

/// Counts ttrpc activity in this process — frames read by servers and clients, calls started —
/// so that DaemonMemory can tell a quiet spell.
enum RPCActivity {
    private static let counter = Atomic<UInt64>(0)

    static func note() { counter.wrappingAdd(1, ordering: .relaxed) }

    static var count: UInt64 { counter.load(ordering: .relaxed) }
}
