// Runtime.watchEvents: `runc events` — the container's resource usage now and then every
// interval, and an event each time the kernel's OOM killer acts in its memory cgroup, until the
// container stops.
import Cgroups
import Errdefs
import Glibc

/// One event of `events`.
public enum RuntimeEvent: Sendable {
    case stats(CgroupStats)
    case oom
}

extension Runtime {
    /// Emits a stats event at once; unless `once`, keeps emitting one every `interval` and an
    /// `.oom` per OOM kill, and returns when the container has stopped or is gone.
    public func watchEvents(id: String, interval: Duration, once: Bool, emit: (RuntimeEvent) -> Void) throws(CoreError) {
        let record = try store.load(id)
        emit(.stats(try stats(id: id)))
        if once { return }
        let clock = ContinuousClock()
        // Without a memory cgroup (rootless) there is nothing to watch but the clock.
        var oom = (try? OOMWatcher(paths: record.cgroupPaths)) ?? nil
        var next = clock.now + interval
        while true {
            let left = clock.now.duration(to: next)
            if left > .zero {
                var pfd = pollfd(fd: oom?.fd ?? -1, events: Int16(POLLIN), revents: 0)
                let ready = poll(&pfd, 1, Int32(clamping: Self.milliseconds(left)))
                if ready > 0, let watcher = oom {
                    switch watcher.consume() {
                    case nil: oom = nil  // the cgroup is gone: the next stats tells
                    case let kills?: for _ in 0..<kills { emit(.oom) }
                    }
                }
                continue
            }
            guard let usage = try? stats(id: id) else { return }  // stopped or deleted
            emit(.stats(usage))
            next = next + interval
            if next < clock.now { next = clock.now + interval }  // a slow reader: no burst of catch-up events
        }
    }

    /// `d` rounded up to whole milliseconds, for poll(2).
    static func milliseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
