// MallocThreadCacheTests: the environment a daemon hands a daemon child (the engine its
// supervisor): the tunable added to whatever GLIBC_TUNABLES the caller had, the caller's value
// saved for the child to put back, and left alone when the caller chose tcache_count itself.
// That a daemon really re-executes with it, and that its shims do not inherit it, is shown by
// SupervisorTests.daemonRunsWithoutMallocThreadCachesAndItsShimsWith.
import Sys
import Testing

@Suite("MallocThreadCache")
struct MallocThreadCacheTests {
    @Test func aDaemonChildGetsTheTunableAndTheCallersValueToPutBack() {
        let none = MallocThreadCache.environment(forDaemon: ["PATH=/bin", "HOME=/root"])
        #expect(none == ["PATH=/bin", "HOME=/root", "BERTH_SAVED_GLIBC_TUNABLES=-",
                         "GLIBC_TUNABLES=glibc.malloc.tcache_count=0"])

        let own = MallocThreadCache.environment(forDaemon: ["GLIBC_TUNABLES=glibc.malloc.trim_threshold=65536", "PATH=/bin"])
        #expect(own == ["PATH=/bin", "BERTH_SAVED_GLIBC_TUNABLES==glibc.malloc.trim_threshold=65536",
                        "GLIBC_TUNABLES=glibc.malloc.trim_threshold=65536:glibc.malloc.tcache_count=0"])

        let empty = MallocThreadCache.environment(forDaemon: ["GLIBC_TUNABLES="])
        #expect(empty == ["BERTH_SAVED_GLIBC_TUNABLES==", "GLIBC_TUNABLES=glibc.malloc.tcache_count=0"])
    }

    @Test func aCallersOwnTcacheCountIsKept() {
        let chosen = ["GLIBC_TUNABLES=glibc.malloc.tcache_count=3", "PATH=/bin"]
        #expect(MallocThreadCache.environment(forDaemon: chosen) == chosen)
    }
}
