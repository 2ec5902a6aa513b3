// OOMWatcherTests: the cgroup v2 route of OOMWatcher against a fixture memory.events (inotify
// works on plain files); the v1 route (eventfd on memory.oom_control) needs the kernel and is
// exercised by RuntimeTests' OOM test on a real container.
import Glibc
import TestSupport
import Testing

@testable import Cgroups

@Suite(.offPool) struct OOMWatcherTests {
    @Test func memoryEventsCounterRisesAreOOMKills() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.file("c/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
        let watcher = try #require(try OOMWatcher(paths: ["unified": fixture.root + "/c"]))

        func readable() -> Bool {
            var pfd = pollfd(fd: watcher.fd, events: Int16(POLLIN), revents: 0)
            return poll(&pfd, 1, 1000) == 1
        }
        try fixture.file("c/memory.events", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 3\n")
        #expect(readable() && watcher.consume() == 2)
        try fixture.file("c/memory.events", "low 0\nhigh 1\nmax 9\noom 2\noom_kill 3\n")
        #expect(readable() && watcher.consume() == 0)  // other counters: not an OOM kill
        unlink(fixture.root + "/c/memory.events")
        #expect(watcher.consume() == nil)  // the cgroup is gone
    }

    @Test func noMemoryCgroupNoWatcher() throws {
        #expect(try OOMWatcher(paths: ["pids": "/nonexistent"]) == nil)
    }
}
