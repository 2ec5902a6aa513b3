// DaemonMemory: what berth-engine and berth-supervisor do to stay small while idle (figures in
// docs/architecture.md). configure() runs first thing in main, before any other thread exists;
// releaseWhenIdle() runs for the daemon's lifetime.
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
    /// core.
    public static func configure() {
        ResidentMemory.limitMallocArenas(to: 1)
        NIOSingletons.groupLoopCountSuggestion = 1
    }

    /// Every `interval`, asks whether the process was quiet through it (QuietSpell); on the first
    /// quiet interval after activity, gives back what idling does not need: the code pages
    /// faulted in while busy (ResidentMemory.releaseCode — they stay in the page cache and fault
    /// back on the next call, as in berth-shim) and the malloc heap's free pages. Returns when
    /// the task is cancelled.
    public static func releaseWhenIdle(interval: Duration = .seconds(1), busyCPU: Duration = .milliseconds(10)) async {
        var spell = QuietSpell(frames: RPCActivity.count, cpu: processCPUTime(), busyCPU: busyCPU)
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            guard spell.observe(frames: RPCActivity.count, cpu: processCPUTime()) else { continue }
            ResidentMemory.releaseCode()
            ResidentMemory.releaseFreeHeap()  // second: releaseCode's own buffers are free by now
            spell.rebase(cpu: processCPUTime())  // the release's own work is not activity
        }
    }

    static func processCPUTime() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }
}

/// Tells quiet spells from readings taken once per interval: an interval is quiet when no ttrpc
/// frame moved (RPCActivity) and the process used less than `busyCPU` of CPU time. observe()
/// answers true once per quiet spell — on its first quiet interval — and again only after a busy
/// one.
struct QuietSpell {
    let busyCPU: Duration
    private var frames: UInt64
    private var cpu: Duration
    private var released = false

    init(frames: UInt64, cpu: Duration, busyCPU: Duration) {
        self.frames = frames
        self.cpu = cpu
        self.busyCPU = busyCPU
    }

    /// Takes the readings at the end of an interval; true if memory should be released now.
    mutating func observe(frames nowFrames: UInt64, cpu nowCPU: Duration) -> Bool {
        let quiet = nowFrames == frames && nowCPU - cpu < busyCPU
        frames = nowFrames
        cpu = nowCPU
        if !quiet {
            released = false
            return false
        }
        if released { return false }
        released = true
        return true
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
