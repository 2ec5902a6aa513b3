// MallocThreadCache: turns glibc's per-thread malloc cache (tcache) off in a daemon. Each thread
// that stays (NIO's event loop, the main thread) keeps up to 7 freed blocks of each of 64 small
// sizes for itself; after a busy spell those blocks are scattered over the heap and keep its
// pages resident, where malloc_trim cannot give them back. glibc reads the setting only from
// GLIBC_TUNABLES when a program starts, so the daemon re-executes itself once (same pid, argv,
// descriptors) with `glibc.malloc.tcache_count=0` added, and the re-executed image puts the
// caller's GLIBC_TUNABLES back at once, so that the processes it starts keep glibc's defaults.
// The saved variable also ends it: a re-executed image never re-executes again.
import Glibc

public enum MallocThreadCache {
    /// The tunable this adds.
    public static let tunable = "glibc.malloc.tcache_count=0"
    /// Set only across the re-exec: "=" and the caller's GLIBC_TUNABLES, or "-" when it had none.
    static let savedVariable = "BERTH_SAVED_GLIBC_TUNABLES"

    /// Call first in main, before any other thread exists. Returns (having put the environment
    /// back) in the re-executed image, when the caller set tcache_count itself, or when the
    /// re-exec fails (no /proc: the daemon then runs with glibc's cache).
    public static func disable() {
        if let saved = getenv(savedVariable) {
            restore(String(cString: saved))
            return
        }
        let current = getenv("GLIBC_TUNABLES").map { String(cString: $0) }
        if choosesItsOwn(current) { return }
        setenv(savedVariable, saved(current), 1)
        setenv("GLIBC_TUNABLES", adding(to: current), 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        restore(saved(current))
    }

    /// The environment of a child that is itself a daemon calling disable() (the engine's own
    /// supervisor): the setting already made, so the child does not re-execute. `environment`
    /// is "KEY=value" strings, this process's own.
    public static func environment(forDaemon environment: [String]) -> [String] {
        let current = environment.last { $0.hasPrefix("GLIBC_TUNABLES=") }.map { String($0.dropFirst("GLIBC_TUNABLES=".count)) }
        if choosesItsOwn(current) { return environment }
        return environment.filter { !$0.hasPrefix("GLIBC_TUNABLES=") && !$0.hasPrefix(savedVariable + "=") }
            + ["\(savedVariable)=" + saved(current), "GLIBC_TUNABLES=" + adding(to: current)]
    }

    /// Whether the caller's GLIBC_TUNABLES already sets the cache's size (then it is left alone).
    private static func choosesItsOwn(_ current: String?) -> Bool {
        current?.contains("glibc.malloc.tcache_count=") ?? false
    }

    /// The caller's GLIBC_TUNABLES with the tunable added.
    private static func adding(to current: String?) -> String {
        guard let current, !current.isEmpty else { return tunable }
        return current + ":" + tunable
    }

    /// What savedVariable holds for the caller's GLIBC_TUNABLES.
    private static func saved(_ current: String?) -> String { current.map { "=" + $0 } ?? "-" }

    private static func restore(_ saved: String) {
        if saved.hasPrefix("=") {
            setenv("GLIBC_TUNABLES", String(saved.dropFirst()), 1)
        } else {
            unsetenv("GLIBC_TUNABLES")
        }
        unsetenv(savedVariable)
    }
}
