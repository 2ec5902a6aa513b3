// HotCommand: the verbs a shim runs for every container — create, start, run, state, kill,
// delete — as plain values, and the one place that carries them out. The argument parser's
// commands (RuntimeCommand.swift, InspectCommands.swift) and the hand-written fast path
// (FastPath.swift) both build a HotCommand, so the two entries cannot drift apart in behaviour.
import Errdefs
import OCI
import RuntimeCore
import Sys

/// The flags of create and run, as plain data.
struct CreateSettings: Equatable {
    var bundle = "."
    var consoleSocket: String?
    var pidFile: String?
    var noPivot = false
    var noNewKeyring = false
    var preserveFDs: Int32 = 0

    var options: CreateOptions {
        var o = CreateOptions(bundle: bundle)
        o.consoleSocket = consoleSocket
        o.pidFile = pidFile
        o.noPivot = noPivot
        o.noNewKeyring = noNewKeyring
        o.preserveFDs = preserveFDs
        return o
    }
}

enum HotCommand: Equatable {
    case create(id: String, CreateSettings)
    case start(id: String)
    case run(id: String, CreateSettings, detach: Bool)
    case state(id: String)
    /// `signal` as given (KILL, SIGKILL, 9); checked when run, as runc does.
    case kill(id: String, signal: String, all: Bool)
    case delete(id: String, force: Bool)

    /// Carries the command out and returns the exit status: the container's with `run` (without
    /// --detach), 1 after an error, which is logged the runc way (RuntimeLog), else 0.
    func execute(_ global: GlobalSettings) -> Int32 {
        var code: Int32 = 0
        do throws(CoreError) {
            let runtime = global.runtime
            switch self {
            case .create(let id, let flags):
                try refuseSystemd(global)
                try runtime.create(id: id, flags.options)
            case .start(let id):
                try runtime.start(id: id)
            case .run(let id, let flags, let detach):
                try refuseSystemd(global)
                code = try runtime.run(id: id, flags.options, detach: detach)
            case .state(let id):
                let state = try runtime.state(id: id)
                print(String(decoding: try state.encodedPretty(), as: UTF8.self))
            case .kill(let id, let signal, let all):
                guard let number = Signals.number(signal) else { throw CoreError(.invalidArgument, "unknown signal \"\(signal)\"") }
                try runtime.kill(id: id, signal: number, all: all)
            case .delete(let id, let force):
                try runtime.delete(id: id, force: force)
            }
        } catch {
            global.logger.error(error.message)
            return 1
        }
        return code
    }

    private func refuseSystemd(_ global: GlobalSettings) throws(CoreError) {
        if global.systemdCgroup { throw CoreError(.unavailable, "--systemd-cgroup: systemd is not running on this machine") }
    }
}
