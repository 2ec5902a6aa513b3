// DaemonMemory: what berth-engine and berth-supervisor do to stay small while idle (figures in
// docs/architecture.md). configure() runs first thing in main, before any other thread exists.
import NIOCore
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
}
