// LiveCgroup: helpers for the tests that use this machine's real cgroups — unique names, a gate
// (root on a hybrid host, the machine kind), and cleanup that kills and reaps whatever the test
// put in its cgroup before removing the directories.
import Cgroups
import Glibc
import Synchronization
import Sys

/// Shared helpers of the live tests.
enum LiveCgroup {
    private static let counter = Atomic<Int>(0)

    /// A fresh absolute cgroup path: "/berth-test-<pid>-<n>".
    static func uniqueName() -> String {
        "/berth-test-\(getpid())-\(counter.add(1, ordering: .relaxed).newValue)"
    }

    /// Whether live tests can run: root, and the hybrid layout they are written for.
    static var available: Bool {
        getuid() == 0 && (try? CgroupMode.detect()) == .hybrid
    }

    /// SIGKILLs every process in `manager`'s cgroup (thawing first: a task frozen by the v1
    /// freezer does not die until thawed) until none is left, for up to ~3 seconds.
    static func killAll(_ manager: any CgroupManager) {
        try? manager.thaw()
        for _ in 0..<300 {
            guard let pids = try? manager.pids(), !pids.isEmpty else { return }
            for pid in pids { kill(pid, SIGKILL) }
            usleep(10_000)
        }
    }

    /// Kills and reaps our child `pid` (ignoring errors: it may be gone already).
    static func reap(_ pid: pid_t) {
        kill(pid, SIGKILL)
        _ = try? Spawn.waitForExit(pid)
    }

    /// A file's contents without the trailing newline.
    static func read(_ path: String) -> String? {
        readFile(path).map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }
    }

    /// Whether `path` exists.
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// `/dev/null` opened for the children's unused stdio.
    static func devNull() throws -> FileDescriptor {
        try FileDescriptor.open("/dev/null", flags: O_RDWR)
    }
}
