// CgroupModeTests: mode detection from sample mountinfo texts (v1, v2, hybrid, none).
import Errdefs
import Testing

@testable import Cgroups

@Suite struct CgroupModeTests {
    /// This project's machine kind: v1 per controller, cgroup2 at /sys/fs/cgroup/unified.
    static let hybrid = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    /// A systemd v1 host (Ubuntu 18.04 style), optional fields included.
    static let v1 = """
        25 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
        35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:16 - cgroup cgroup rw,cpu,cpuacct
        36 30 0:32 / /sys/fs/cgroup/memory rw,nosuid shared:17 - cgroup cgroup rw,memory
        """

    /// A unified host.
    static let v2 = """
        25 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """

    @Test func detectsHybrid() throws {
        #expect(try CgroupMode.detect(mountinfo: Self.hybrid) == .hybrid)
    }

    @Test func detectsV1() throws {
        #expect(try CgroupMode.detect(mountinfo: Self.v1) == .v1)
    }

    @Test func detectsV2() throws {
        #expect(try CgroupMode.detect(mountinfo: Self.v2) == .v2)
    }

    @Test func honoursTheRoot() throws {
        let elsewhere = "41 31 0:38 / /run/cg rw,relatime - cgroup2 cgroup2 rw\n"
        #expect(try CgroupMode.detect(mountinfo: elsewhere, root: "/run/cg") == .v2)
        #expect(try CgroupMode.detect(mountinfo: Self.hybrid, root: "/sys/fs/cgroup/") == .hybrid)
        #expect(throws: CoreError.self) { try CgroupMode.detect(mountinfo: elsewhere) }
    }

    @Test func noCgroupMountIsNotFound() {
        let plain = "25 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        do {
            _ = try CgroupMode.detect(mountinfo: plain)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .notFound)
        }
    }

    @Test func decodesEscapedMountPoints() {
        let line = "41 31 0:38 / /sys/fs/cgroup/my\\040dir rw - cgroup2 cgroup2 rw\n"
        #expect(CgroupMode.cgroupMounts(mountinfo: line) == [CgroupMode.Mount(mountPoint: "/sys/fs/cgroup/my dir", isV2: true)])
    }

    @Test func readsCgroupLinesAmongManyOthersByteForByte() throws {
        // A busy host: an overlay line per container, optional fields, a mount point that is not ASCII.
        var text = ""
        for i in 0..<300 {
            text += "\(1000 + i) 29 0:\(100 + i) / /run/berth/c\(i)/rootfs rw,relatime shared:\(i) - overlay overlay "
            text += "rw,lowerdir=/var/lib/berth/snapshots/\(i)/fs,upperdir=/var/lib/berth/snapshots/\(i + 1)/fs,workdir=/w\n"
        }
        text += "35 25 0:30 / /sys/fs/cgroup/memory rw,nosuid shared:14 master:2 - cgroup cgroup rw,memory\n"
        text += "36 25 0:31 / /sys/fs/cgroup/unified/é\\040x rw shared:15 - cgroup2 cgroup2 rw\n"
        text += "37 25 0:32 / /sys/fs/cgroup/- rw - tmpfs tmpfs rw"  // a "-" as mount point, no newline at the end
        #expect(CgroupMode.cgroupMounts(mountinfo: text) == [
            CgroupMode.Mount(mountPoint: "/sys/fs/cgroup/memory", isV2: false),
            CgroupMode.Mount(mountPoint: "/sys/fs/cgroup/unified/é x", isV2: true),
        ])
        #expect(try CgroupMode.detect(mountinfo: text) == .hybrid)
    }

    @Test func detectsThisHost() throws {
        // Whatever this machine is, detection must succeed on it and agree with the mounts.
        let mode = try CgroupMode.detect()
        #expect([.v1, .v2, .hybrid].contains(mode))
    }
}
