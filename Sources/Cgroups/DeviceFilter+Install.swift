// DeviceFilter+Install: loading the generated program and putting it on a cgroup v2 directory in
// place of whatever device program was there, without a window in which no program applies
// (runc's LoadAttachCgroupDeviceFilter: attach the new one with BPF_F_ALLOW_MULTI, then detach
// the old ones).
import Errdefs
import Glibc
import OCI
import Sys

extension DeviceFilter {
    /// Loads the program for `rules` and makes it the only device program of the cgroup at
    /// `directory`. Programs attached earlier (by a previous `set`) are detached afterwards.
    public static func install(_ rules: [LinuxDeviceCgroup], on directory: String) throws(CoreError) {
        let instructions = try program(for: rules)
        let program = try BPF.loadProgram(instructions: instructions, type: .cgroupDevice, license: license)
        defer { try? program.close() }
        let cgroup = try FileDescriptor.open(directory, flags: O_RDONLY | O_DIRECTORY)
        defer { try? cgroup.close() }
        let previous = try BPF.queryPrograms(target: cgroup, type: .cgroupDevice)
        try BPF.attach(program: program, target: cgroup, type: .cgroupDevice, flags: .allowMulti)
        for id in previous {
            do {
                let old = try BPF.program(id: id)
                defer { try? old.close() }
                try BPF.detach(program: old, target: cgroup, type: .cgroupDevice)
            } catch {
                // Already gone (ENOENT) is what we wanted; anything else leaves two programs,
                // and both must allow an access, which is stricter than intended: report it.
                if error.cause?.errno != ENOENT {
                    throw CoreError(error.code, "detach previous device program \(id) from \(directory): \(error.message)", cause: error.cause)
                }
            }
        }
    }
}
