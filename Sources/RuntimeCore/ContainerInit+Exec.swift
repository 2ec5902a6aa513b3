// The init for `exec`: stage 1 opens the namespaces of the container's PID 1 (the parent has
// already put it in the container's cgroups), joins them — user first, mount last, because
// joining a mount namespace changes the root under our feet — and forks, so the child is born in
// the container's pid namespace. The child sets up the process as PID 1's was, without the
// rootfs work (it already exists) and without the exec.fifo wait.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs
import JSON
import OCI
import Sys

extension ContainerInit {
    static func runExec(_ options: InitOptions, target: Int32, processFile: String) -> Never {
        let sync = SyncChannel(fd: options.syncFD)
        do {
            let spec = try Spec.load(bundle: options.bundle)
            let process = try loadProcess(processFile)
            var options = options
            options.seccompProgram = try precompiledSeccomp(spec, options)
            try sync.expect(.go, during: "start of exec")
            try joinNamespaces(of: target, spec: spec)
            try forkReportingPID(on: sync)
            execProcess(spec, process, options, sync: sync)
        } catch let failure as ChildFailure {
            report(failure, on: sync)
        } catch let error as CoreError {
            report(ChildFailure(stage: "exec", path: processFile, errno: error.cause?.errno ?? 0, message: error.message), on: sync)
        } catch {
            report(ChildFailure(stage: "exec", path: "", errno: 0, message: "\(error)"), on: sync)
        }
    }

    static func loadProcess(_ path: String) throws(CoreError) -> OCI.Process {
        guard let bytes = ProcFS.readBytes(path) else { throw CoreError(.notFound, "exec: process file \(path) is unreadable") }
        do { return try JSONCodec.decode(OCI.Process.self, from: bytes) } catch {
            throw CoreError(.invalidArgument, "exec: process file \(path): \(error.description)")
        }
    }

    /// Joins every namespace the container has, through /proc/PID/ns.
    static func joinNamespaces(of pid: Int32, spec: Spec) throws(ChildFailure) {
        let names: [LinuxNamespaceType: String] = [.user: "user", .ipc: "ipc", .uts: "uts", .network: "net",
                                                   .pid: "pid", .cgroup: "cgroup", .time: "time", .mount: "mnt"]
        let order: [LinuxNamespaceType] = [.user, .ipc, .uts, .network, .pid, .cgroup, .time, .mount]
        let wanted = Set((spec.linux?.namespaces ?? []).map(\.type))
        var opened: [(FileDescriptor, LinuxNamespaceType, String)] = []
        for type in order where wanted.contains(type) {
            let path = "/proc/\(pid)/ns/\(names[type]!)"
            do { opened.append((try FileDescriptor.open(path, flags: O_RDONLY), type, path)) } catch {
                throw ChildFailure(stage: "open namespace", path: path, errno: error.cause?.errno ?? 0, message: "container not running?")
            }
        }
        for (fd, type, path) in opened {
            do { try Linux.setns(fd: fd, type: flag(type)) } catch {
                throw ChildFailure(stage: "setns", path: path, errno: error.cause?.errno ?? 0, message: "\(type.rawValue) namespace")
            }
        }
    }

    static func execProcess(_ spec: Spec, _ process: OCI.Process, _ options: InitOptions, sync: SyncChannel) -> Never {
        let prepared: Prepared
        do {
            _ = setsid()
            if process.terminal == true {
                guard let consoleFD = options.consoleFD else {
                    throw ChildFailure(stage: "console", path: "", errno: 0, message: "a terminal needs --console-socket")
                }
                try Console.setUp(socket: consoleFD, size: process.consoleSize, rootfs: "")
            }
            guard let program = process.args?.first else {
                throw ChildFailure(stage: "config", path: "", errno: 0, message: "process.args must not be empty")
            }
            let env = process.env ?? []
            let setup = ProcessSetup(process: process, seccomp: spec.linux?.seccomp, env: env)
            setup.adopt(options.seccompProgram)
            try setup.validate()
            try setup.applyRlimits()
            try setup.enterWorkingDirectory()
            guard let executable = ProcessSetup.lookPath(program, env: env) else {
                throw ProcessSetup.lookupFailure(program)
            }
            prepared = Prepared(executable: executable, setup: setup)
            try sync.send(.ready)
        } catch let failure as ChildFailure {
            report(failure, on: sync)
        } catch {
            report(ChildFailure(stage: "exec", path: "", errno: 0, message: "\(error)"), on: sync)
        }
        do {
            var finishing = spec
            finishing.process = process
            try finishWithoutFifo(finishing, options, prepared)
        } catch {
            let text = "berth-runtime exec: \(error.coreError.message)\n"
            _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
            _exit(127)
        }
    }
}
