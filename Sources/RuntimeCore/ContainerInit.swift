// ContainerInit: the container's init, run as `berth-runtime init` — a fresh process, so it is
// single-threaded by construction (unshare(CLONE_NEWUSER) and setns fail with EINVAL otherwise).
// Stage 1 enters or creates the namespaces and forks; the child, PID 1 of the new pid namespace,
// builds the root filesystem and the process and finally execs the container's program once
// `start` opens exec.fifo. The protocol with the parent is drawn in SyncChannel.swift.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import LinuxSecurity
import OCI
import Sys

public enum ContainerInit {
    /// Runs the init; never returns on success (the process becomes the container's program).
    public static func run(_ options: InitOptions) -> Never {
        if let target = options.execTarget, let file = options.processFile {
            runExec(options, target: target, processFile: file)
        }
        let sync = SyncChannel(fd: options.syncFD)
        do {
            let spec = try Spec.load(bundle: options.bundle)
            var options = options
            options.seccompProgram = try precompiledSeccomp(spec, options)
            try sync.expect(.go, during: "start of init")
            try enterNamespaces(spec, sync: sync)
            // unshare(CLONE_NEWPID) only moves children: fork so the container's process is PID 1.
            try forkReportingPID(on: sync)
            containerProcess(spec, options, sync: sync)
        } catch let failure as ChildFailure {
            report(failure, on: sync)
        } catch let error as CoreError {
            report(ChildFailure(stage: "init", path: options.bundle, errno: error.cause?.errno ?? 0, message: error.message), on: sync)
        } catch {
            report(ChildFailure(stage: "init", path: "", errno: 0, message: "\(error)"), on: sync)
        }
    }

    /// linux.seccomp as a program, from the cache when there is one, looked up now: before any
    /// namespace is entered the host's paths (the runtime's root) are still ours.
    static func precompiledSeccomp(_ spec: Spec, _ options: InitOptions) throws(ChildFailure) -> SeccompProgram? {
        guard let seccomp = spec.linux?.seccomp, let directory = options.seccompCache else { return nil }
        do { return try SeccompCache(directory: directory).program(for: seccomp) } catch {
            throw ChildFailure(stage: "seccomp", path: "", errno: error.cause?.errno ?? 0, message: "compiling linux.seccomp: \(error.message)")
        }
    }

    /// Forks; returns only in the child. Stage 1 (the caller) sends the child's pid and exits, and
    /// the child holds until that exit, so the parent always hears the pid before anything the child
    /// says on the shared sync socket — otherwise, under load, a child's `ready` or error could
    /// overtake it and the parent would mistake it for an init that died.
    static func forkReportingPID(on sync: SyncChannel) throws {
        let gate = try Pipe()
        let child = fork()
        if child < 0 { throw ChildFailure(stage: "fork", path: "", errno: errno, message: "") }
        if child == 0 {
            try? gate.writeEnd.close()
            var byte: UInt8 = 0
            while read(gate.readEnd.rawValue, &byte, 1) < 0 && errno == EINTR {}  // EOF: stage 1 is gone
            try? gate.readEnd.close()
            return
        }
        try? gate.readEnd.close()
        try sync.send(.pid(child))
        _exit(0)
    }

    static func report(_ failure: ChildFailure, on sync: SyncChannel) -> Never {
        try? sync.send(.error(failure))
        _exit(1)
    }

    /// Joins namespaces given by path and creates the others, user namespace first so the rest
    /// are owned by it. The cgroup namespace waits for PID 1, which is already in its cgroup.
    static func enterNamespaces(_ spec: Spec, sync: SyncChannel) throws(ChildFailure) {
        let namespaces = spec.linux?.namespaces ?? []
        if let user = namespaces.first(where: { $0.type == .user }) {
            if let path = user.path, !path.isEmpty {
                try join(path, .user)
            } else {
                try unshare(.user)
                // Only a process outside the new namespace may write our id maps: ask the parent.
                do {
                    try sync.send(.idMapRequest)
                    try sync.expect(.idMapDone, during: "uid/gid mapping")
                } catch { throw ChildFailure(stage: "uid/gid mapping", path: "", errno: error.cause?.errno ?? 0, message: error.message) }
            }
            // Become root of the new user namespace so that the following steps are allowed.
            do { try Credentials.setGroupID(0) } catch {
                throw ChildFailure(stage: "setresgid", path: "", errno: error.cause?.errno ?? 0, message: "to 0 in the user namespace")
            }
            do { try Credentials.setUserID(0) } catch {
                throw ChildFailure(stage: "setresuid", path: "", errno: error.cause?.errno ?? 0, message: "to 0 in the user namespace")
            }
        }
        // Open every path before joining any: after joining a mount namespace the paths may differ.
        var joins: [(FileDescriptor, LinuxNamespaceType, String)] = []
        var fresh: Linux.Namespaces = []
        for ns in namespaces where ns.type != .user {
            if let path = ns.path, !path.isEmpty {
                do { joins.append((try FileDescriptor.open(path, flags: O_RDONLY), ns.type, path)) } catch {
                    throw ChildFailure(stage: "open namespace", path: path, errno: error.cause?.errno ?? 0, message: "")
                }
            } else if ns.type != .cgroup {
                fresh.insert(flag(ns.type))
            }
        }
        for (fd, type, path) in joins {
            do { try Linux.setns(fd: fd, type: flag(type)) } catch {
                throw ChildFailure(stage: "setns", path: path, errno: error.cause?.errno ?? 0, message: "\(type.rawValue) namespace")
            }
        }
        if !fresh.isEmpty {
            do { try Linux.unshare(fresh) } catch {
                throw ChildFailure(stage: "unshare", path: "", errno: error.cause?.errno ?? 0, message: "namespaces \(fresh.rawValue)")
            }
        }
    }

    private static func unshare(_ type: LinuxNamespaceType) throws(ChildFailure) {
        do { try Linux.unshare(flag(type)) } catch {
            throw ChildFailure(stage: "unshare", path: "", errno: error.cause?.errno ?? 0, message: "\(type.rawValue) namespace")
        }
    }

    private static func join(_ path: String, _ type: LinuxNamespaceType) throws(ChildFailure) {
        do {
            let fd = try FileDescriptor.open(path, flags: O_RDONLY)
            try Linux.setns(fd: fd, type: flag(type))
        } catch {
            throw ChildFailure(stage: "setns", path: path, errno: error.cause?.errno ?? 0, message: "\(type.rawValue) namespace")
        }
    }

    static func flag(_ type: LinuxNamespaceType) -> Linux.Namespaces {
        switch type {
        case .pid: .pid
        case .network: .network
        case .mount: .mount
        case .ipc: .ipc
        case .uts: .uts
        case .user: .user
        case .cgroup: .cgroup
        case .time: .time
        }
    }
}
