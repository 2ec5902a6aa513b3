// OOMWatcher: a pollable descriptor that becomes readable when the kernel's OOM killer acts in a
// container's memory cgroup — what `berth-runtime events` reports as {"type":"oom"}.
// cgroup v1: an eventfd registered on memory.oom_control through cgroup.event_control (it also
// fires when the cgroup is removed, which is told apart by the directory being gone).
// cgroup v2 (or the unified hierarchy of a hybrid host without a v1 memory controller): an
// inotify watch on memory.events, and an OOM is a rise of its "oom_kill" counter.
import CLinux
import Errdefs
import Glibc

public final class OOMWatcher {
    private enum Source {
        case eventControl(directory: String)
        case memoryEvents(directory: String, lastKills: UInt64)
    }

    /// Poll this for POLLIN, then call `consume()`.
    public let fd: Int32
    private let extraFD: Int32  // v1: the open memory.oom_control, which must outlive the registration
    private var source: Source

    /// A watcher for the memory cgroup among `paths` (a manager's `paths`), or nil if it has none.
    public init?(paths: [String: String]) throws(CoreError) {
        if let memory = paths["memory"] {
            let control = memory + "/memory.oom_control"
            let controlFD = open(control, O_RDONLY | O_CLOEXEC)
            guard controlFD >= 0 else { throw CgroupFS.failure("open", control) }
            let event = berth_eventfd_nonblocking(0)
            guard event >= 0 else {
                close(controlFD)
                throw CoreError(SystemCallFailure(call: "eventfd", path: control, errno: errno))
            }
            do throws(CoreError) {
                try CgroupFS.write(memory, "cgroup.event_control", "\(event) \(controlFD)")
            } catch {
                close(event); close(controlFD)
                throw error
            }
            (fd, extraFD, source) = (event, controlFD, .eventControl(directory: memory))
        } else if let unified = paths["unified"], CgroupFS.exists(unified + "/memory.events") {
            let notify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
            guard notify >= 0 else { throw CoreError(SystemCallFailure(call: "inotify_init1", errno: errno)) }
            guard inotify_add_watch(notify, unified + "/memory.events", UInt32(IN_MODIFY)) >= 0 else {
                close(notify)
                throw CgroupFS.failure("inotify_add_watch", unified + "/memory.events")
            }
            let kills = Self.oomKills(unified)
            (fd, extraFD, source) = (notify, -1, .memoryEvents(directory: unified, lastKills: kills))
        } else {
            return nil
        }
    }

    deinit {
        close(fd)
        if extraFD >= 0 { close(extraFD) }
    }

    /// What the readable descriptor meant: the number of new OOM kills (0: a wake-up that was
    /// not one), or nil once the cgroup is gone and nothing more can come.
    public func consume() -> UInt64? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(fd, &buffer, buffer.count) > 0 {}  // drain: eventfd counter or inotify records
        switch source {
        case .eventControl(let directory):
            return CgroupFS.exists(directory) ? 1 : nil
        case .memoryEvents(let directory, let last):
            guard CgroupFS.exists(directory + "/memory.events") else { return nil }
            let now = Self.oomKills(directory)
            source = .memoryEvents(directory: directory, lastKills: now)
            return now > last ? now - last : 0
        }
    }

    /// The "oom_kill" count in memory.events.
    static func oomKills(_ directory: String) -> UInt64 {
        let text = (try? CgroupFS.read(directory, "memory.events")) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("oom_kill ") {
            return UInt64(line.dropFirst("oom_kill ".count)) ?? 0
        }
        return 0
    }
}
