// OOMWatcher: tells the shim when the kernel's OOM killer strikes in the container's memory
// cgroup, for TaskOOM. cgroup v1: an eventfd registered through `cgroup.event_control` against
// `memory.oom_control` (it also fires when the cgroup is removed, which is not an OOM). cgroup v2:
// inotify on `memory.events`, reporting each rise of its `oom_kill` count. Both are descriptors on
// the event loop.
import CLinux
import Errdefs
import Glibc
import Sys

final class OOMWatcher {
    private let loop: ShimEventLoop
    private var descriptor: FileDescriptor?
    /// The v1 `memory.oom_control`, held open while registered.
    private var control: FileDescriptor?

    /// Watches the memory cgroup of `pid`; nil if it has none (no memory controller).
    init?(pid: Int32, loop: ShimEventLoop, log: ShimLog, onOOM: @escaping () -> Void) {
        self.loop = loop
        do {
            let cgroups = try CgroupMetrics.membership(pid: pid)
            if let dir = cgroups.v2 {
                try watchEvents("\(dir)/memory.events", onOOM)
            } else if let dir = cgroups.v1["memory"] {
                try registerEventFD(dir, onOOM)
            } else {
                return nil
            }
        } catch {
            log.warn("not watching for OOM kills of pid \(pid): \(error.message)")
            return nil
        }
    }

    private func registerEventFD(_ dir: String, _ onOOM: @escaping () -> Void) throws(CoreError) {
        let raw = berth_eventfd_nonblocking(0)
        guard raw >= 0 else { throw CoreError(SystemCallFailure(call: "eventfd", errno: errno)) }
        let event = FileDescriptor(adopting: raw)
        let control = try FileDescriptor.open("\(dir)/memory.oom_control", flags: O_RDONLY)
        let register = try FileDescriptor.open("\(dir)/cgroup.event_control", flags: O_WRONLY)
        try register.write("\(event.rawValue) \(control.rawValue)")
        try register.close()
        descriptor = event
        self.control = control
        loop.watch(event.rawValue, .readable) { [unowned self] _ in
            var count: UInt64 = 0
            guard read(event.rawValue, &count, 8) == 8 else { return }
            // The same eventfd fires when the cgroup goes away.
            if access(dir, F_OK) != 0 { return close() }
            onOOM()
        }
    }

    private func watchEvents(_ path: String, _ onOOM: @escaping () -> Void) throws(CoreError) {
        let raw = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard raw >= 0 else { throw CoreError(SystemCallFailure(call: "inotify_init1", errno: errno)) }
        let inotify = FileDescriptor(adopting: raw)
        guard inotify_add_watch(raw, path, UInt32(IN_MODIFY)) >= 0 else {
            throw CoreError(SystemCallFailure(call: "inotify_add_watch", path: path, errno: errno))
        }
        descriptor = inotify
        var kills = Self.oomKills(path)
        loop.watch(raw, .readable) { [unowned self] _ in
            var buffer = [UInt8](repeating: 0, count: 1024)
            while buffer.withUnsafeMutableBytes({ read(raw, $0.baseAddress, $0.count) }) > 0 {}
            let now = Self.oomKills(path)
            if now > kills { onOOM() }
            kills = now
            if access(path, F_OK) != 0 { close() }
        }
    }

    static func oomKills(_ path: String) -> UInt64 {
        CgroupMetrics.keyed(path)["oom_kill"] ?? 0
    }

    func close() {
        if let descriptor {
            loop.unwatch(descriptor.rawValue)
            try? descriptor.close()
        }
        descriptor = nil
        try? control?.close()
        control = nil
    }
}
