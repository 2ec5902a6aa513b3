// MountOptionsTests: OCI mount options split into MS_* flags, cleared flags, propagation and
// filesystem data, with the values runc's parseMountOptions gives for the same lists.
#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import RuntimeCore

@Suite struct MountOptionsTests {
    @Test func tmpfsOptionsSplitIntoFlagsAndData() throws {
        let options = try MountOptions(parsing: ["nosuid", "strictatime", "mode=755", "size=65536k"])
        #expect(options.flags == UInt(MS_NOSUID | MS_STRICTATIME))
        #expect(options.data == "mode=755,size=65536k")
        #expect(options.clearFlags == 0)
        #expect(options.propagation.isEmpty)
        #expect(!options.isBind)
    }

    @Test func defaultDockerMounts() throws {
        let proc = try MountOptions(parsing: ["nosuid", "noexec", "nodev"])
        #expect(proc.flags == UInt(MS_NOSUID | MS_NOEXEC | MS_NODEV))
        #expect(proc.data == "")

        let devpts = try MountOptions(parsing: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])
        #expect(devpts.flags == UInt(MS_NOSUID | MS_NOEXEC))
        #expect(devpts.data == "newinstance,ptmxmode=0666,mode=0620,gid=5")

        let cgroup = try MountOptions(parsing: ["nosuid", "noexec", "nodev", "relatime", "ro"])
        #expect(cgroup.flags == UInt(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY))
        #expect(cgroup.isReadOnly)
    }

    @Test func rbindReadOnly() throws {
        let options = try MountOptions(parsing: ["rbind", "ro"])
        #expect(options.isBind)
        #expect(options.isRecursive)
        #expect(options.isReadOnly)
        #expect(options.flags == UInt(MS_BIND | MS_REC | MS_RDONLY))
        #expect(options.data == "")
    }

    @Test func plainBindIsNotRecursive() throws {
        let options = try MountOptions(parsing: ["bind"])
        #expect(options.isBind)
        #expect(!options.isRecursive)
        #expect(options.flags == UInt(MS_BIND))
    }

    @Test func propagationIsKeptInOrder() throws {
        let slave = try MountOptions(parsing: ["rslave"])
        #expect(slave.propagation == [UInt(MS_SLAVE | MS_REC)])
        #expect(slave.flags == 0)

        let several = try MountOptions(parsing: ["rbind", "private", "rshared", "unbindable", "runbindable", "shared", "slave", "rprivate"])
        #expect(several.propagation == [
            UInt(MS_PRIVATE), UInt(MS_SHARED | MS_REC), UInt(MS_UNBINDABLE), UInt(MS_UNBINDABLE | MS_REC),
            UInt(MS_SHARED), UInt(MS_SLAVE), UInt(MS_PRIVATE | MS_REC),
        ])
        #expect(several.flags == UInt(MS_BIND | MS_REC))
    }

    @Test func negationsClearAndLaterWordsWin() throws {
        let readWrite = try MountOptions(parsing: ["ro", "rw"])
        #expect(readWrite.flags == 0)
        #expect(readWrite.clearFlags == UInt(MS_RDONLY))
        #expect(!readWrite.isReadOnly)

        let readOnly = try MountOptions(parsing: ["rw", "ro"])
        #expect(readOnly.flags == UInt(MS_RDONLY))
        #expect(readOnly.clearFlags == 0)

        let cleared = try MountOptions(parsing: ["suid", "dev", "exec", "async", "atime", "diratime", "norelatime", "nostrictatime", "nomand"])
        #expect(cleared.flags == 0)
        #expect(cleared.clearFlags == UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_NOATIME
            | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_MANDLOCK))
    }

    @Test func everyFlagWord() throws {
        let options = try MountOptions(parsing: ["sync", "dirsync", "remount", "mand", "noatime", "nodiratime", "relatime"])
        #expect(options.flags == UInt(MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME))
    }

    @Test func tmpcopyupAndDefaultsAreNotData() throws {
        let options = try MountOptions(parsing: ["tmpcopyup", "defaults", "mode=1777"])
        #expect(options.tmpCopyUp)
        #expect(options.data == "mode=1777")
        #expect(options.flags == 0)
    }

    @Test func idmapIsRefusedByName() {
        for word in ["idmap", "ridmap"] {
            do {
                _ = try MountOptions(parsing: ["rbind", word], destination: "/data")
                Issue.record("\(word) should be refused")
            } catch {
                #expect(error.errno == EINVAL)
                #expect(error.path == "/data")
                #expect(error.message.contains(word))
                #expect(error.message.contains("not supported"))
            }
        }
    }

    @Test func recursiveAttributesAreRefused() {
        #expect(throws: ChildFailure.self) { try MountOptions(parsing: ["rbind", "rro"]) }
    }

    @Test func emptyOptions() throws {
        #expect(try MountOptions(parsing: []) == MountOptions())
    }

    @Test func rootfsPropagationNames() {
        #expect(MountOptions.propagationFlags("rslave") == UInt(MS_SLAVE | MS_REC))
        #expect(MountOptions.propagationFlags("private") == UInt(MS_PRIVATE))
        #expect(MountOptions.propagationFlags("bogus") == nil)
    }
}
