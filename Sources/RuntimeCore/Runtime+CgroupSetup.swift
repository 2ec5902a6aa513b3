// Runtime+CgroupSetup: making a new container's cgroups, and what "rootless" means for them.
// Run by root, cgroups are always made and any failure fails `create`. Run by an unprivileged
// user (a rootless container, as `spec --rootless` describes), cgroups it may not create are
// skipped — the container runs in its caller's cgroup, as with runc — unless config.json asks
// for resource limits, which cannot be honoured without them and so fail with a clear error.
import Cgroups
import Errdefs
import Glibc
import OCI

extension Runtime {
    /// The container's cgroups, created with its limits and the default device rules; nil for a
    /// rootless container that may not create them and asks for no limits.
    func makeCgroups(spec: Spec, id: String) throws(CoreError) -> (any CgroupManager)? {
        let manager = try makeCgroupManager(path: spec.linux?.cgroupsPath, containerID: id)
        do throws(CoreError) {
            try manager.create()
        } catch {
            let denied = [EACCES, EPERM, EROFS].contains(error.cause?.errno ?? 0)
            guard geteuid() != 0, denied else { throw error }
            try? manager.destroy()
            if Self.asksForLimits(spec.linux?.resources) {
                throw CoreError(.permissionDenied, "rootless container: linux.resources sets limits, but cgroups cannot be created: \(error.message)",
                                cause: error.cause)
            }
            return nil
        }
        do throws(CoreError) {
            try manager.set(DefaultDevices.applied(to: spec.linux?.resources, devices: spec.linux?.devices))
        } catch {
            try? manager.destroy()
            throw error
        }
        return manager
    }

    /// Whether `resources` limits anything a cgroup enforces (device rules alone do not count:
    /// an unprivileged user cannot create device nodes in the first place).
    static func asksForLimits(_ resources: LinuxResources?) -> Bool {
        guard let r = resources else { return false }
        return r.memory != nil || r.cpu != nil || r.pids != nil || r.blockIO != nil
            || !(r.hugepageLimits ?? []).isEmpty || r.network != nil || !(r.unified ?? [:]).isEmpty
    }
}
