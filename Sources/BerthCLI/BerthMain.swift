// BerthMain: the `berth` entry point — docker's command line over berth-engine. Global options
// (-H/--host, also $BERTH_HOST) may come before the command, as with docker; errors print as
// docker's do and exit with docker's codes: 125 when the engine or the command line refuses
// (`run`, `create`), 1 for other commands' errors, a container's own status for `run`/`wait`.
import ArgumentParser
import Errdefs
import Foundation
import Glibc
import NIOCore

public enum BerthMain {
    /// Parses the command line and runs the command (`ps` usually without the argument parser:
    /// PsOptions). A command that makes one engine call runs
    /// on this thread (EngineCall) and starts no other, as does a CallingThreadCommand that
    /// can (`run` without -i or -t); the rest run as a task, which exits the
    /// process, while this thread waits in sigsuspend with no signal blocked, taking the
    /// process's signals as under dispatchMain. Not dispatchMain itself: it leaves the thread
    /// with pthread_exit, whose unwinding makes the static binary sort every frame description
    /// in it first (50 ms of CPU per command); nothing here uses the main queue.
    public static func main() -> Never {
        var arguments = Array(CommandLine.arguments.dropFirst())
        liftGlobalOptions(&arguments)
        if arguments.first == "ps", let options = PsOptions.parse(arguments.dropFirst()) {
            do { try options.run() } catch { fail(error, arguments) }
            exit(0)
        }
        let parsed: ParsableCommand
        do { parsed = try Berth.parseAsRoot(arguments) } catch { fail(error, arguments) }
        if let command = parsed as? CallingThreadCommand {
            do { if try command.runOnCallingThread() { exit(0) } } catch { fail(error, arguments) }
        }
        if let command = parsed as? AsyncParsableCommand {
            NIOSingletons.groupLoopCountSuggestion = 1  // one connection: one event loop thread, not one per core
            let relays = (parsed as? SignalProxying)?.proxiesSignals == true
            if relays { SignalRelay.prepare() }  // before the first thread starts
            let task = UncheckedBox(command)
            Task {
                var command = task.value
                do { try await command.run() } catch { fail(error, arguments) }
                exit(0)
            }
            if relays { SignalRelay.serve() }
            var none = sigset_t()
            sigemptyset(&none)
            while true { sigsuspend(&none) }
        }
        var command = parsed
        do { try command.run() } catch { fail(error, arguments) }
        exit(0)
    }

    /// Prints `error` as docker does and exits with docker's code for it.
    static func fail(_ error: any Error, _ arguments: [String]) -> Never {
        switch error {
        case let exit as ExitCode:
            Foundation.exit(exit.rawValue)
        case let error as CoreError:
            let runLike = ["run", "create"].contains(arguments.first ?? "")
            FileHandle.standardError.write(Data("\(runLike ? "berth: " : "")Error response from daemon: \(error.message)\n".utf8))
            Foundation.exit(runLike ? 125 : 1)
        case let error as CLIError:
            FileHandle.standardError.write(Data("\(error.message)\n".utf8))
            Foundation.exit(error.code)
        default:
            let code = Berth.exitCode(for: error)
            if code == .success || code.rawValue == 0 {
                Berth.exit(withError: error)  // --help, --version
            }
            FileHandle.standardError.write(Data("berth: \(Berth.message(for: error))\nSee 'berth --help'.\n".utf8))
            Foundation.exit(125)
        }
    }

    /// Moves `-H X`, `--host X`, `--host=X` before the command into $BERTH_HOST.
    static func liftGlobalOptions(_ arguments: inout [String]) {
        while let first = arguments.first, first.hasPrefix("-") {
            if (first == "-H" || first == "--host"), arguments.count > 1 {
                setenv("BERTH_HOST", arguments[1], 1)
                arguments.removeFirst(2)
            } else if first.hasPrefix("--host=") {
                setenv("BERTH_HOST", String(first.dropFirst("--host=".count)), 1)
                arguments.removeFirst()
            } else {
                break
            }
        }
    }
}

/// Hands a value that is not Sendable to the one task that uses it.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// An error the CLI reports itself, with docker's exit code.
struct CLIError: Error {
    var message: String
    var code: Int32 = 1
}

struct Berth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "A container engine for Linux, with docker's command line. Global option: -H/--host unix:///PATH (or $BERTH_HOST).",
        subcommands: [
            RunCommand.self, CreateCommand.self, StartCommand.self, StopCommand.self, KillCommand.self, RestartCommand.self,
            RemoveCommand.self, WaitCommand.self, PsCommand.self, LogsCommand.self, InspectCommand.self,
            ImagesCommand.self, LoadCommand.self, RemoveImageCommand.self, ImageCommand.self, ContainerCommand.self,
            ExecCommand.self, AttachCommand.self, PauseCommand.self, UnpauseCommand.self, RenameCommand.self, TopCommand.self,
            StatsCommand.self, TagCommand.self, HistoryCommand.self, SaveCommand.self, InfoCommand.self, SystemCommand.self,
            VersionCommand.self, EventsCommand.self, CompletionCommand.self,
            CopyCommand.self, ExportCommand.self, ImportCommand.self, VolumeCommand.self,
            NetworkCommand.self, PortCommand.self,
        ])
}

/// A command that may run wholly on the calling thread, with no event loop or task pool; it
/// returns false when these arguments need its async `run()`.
protocol CallingThreadCommand {
    func runOnCallingThread() throws -> Bool
}
