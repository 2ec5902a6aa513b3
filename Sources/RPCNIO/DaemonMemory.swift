// DaemonMemory: what berth-engine and berth-supervisor do to stay small while idle (figures in
// docs/architecture.md). configure() runs first thing in main, before any other thread exists.
import Sys

public enum DaemonMemory {
    /// One malloc arena: the daemons' threads (NIO's loops, the concurrency pool, short-lived
    /// helper threads) would otherwise each get an arena of their own, and every arena keeps
    /// the pages its freed blocks held.
    public static func configure() {
        ResidentMemory.limitMallocArenas(to: 1)
    }
}
