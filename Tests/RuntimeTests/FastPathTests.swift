// The fast path for the hot verbs (create, start, run, state, kill, delete) must mean exactly what
// swift-argument-parser makes of the same arguments, and must hand everything else to it.
import ArgumentParser
@testable import RuntimeCLI
import TestSupport
import Testing

@Suite(.offPool) struct FastPathTests {
    /// Argument vectors as containerd's runc shim, dockerd, berth's tests and people write them.
    static let accepted: [[String]] = [
        ["state", "c1"],
        ["--root", "/run/x", "state", "c1"],
        ["--root=/run/x", "--log", "/l.json", "--log-format", "json", "create", "--bundle", "/b", "--pid-file", "/p", "c1"],
        ["--root", "/r", "--log", "/l", "--log-format=text", "--systemd-cgroup", "create", "--bundle", "/b",
         "--console-socket", "/s.sock", "--pid-file", "/p", "--no-pivot", "--no-new-keyring", "--preserve-fds", "2", "c1"],
        ["create", "-b", "/b", "c1"],
        ["create", "c1", "--bundle", "/b"],
        ["create", "--bundle=/b", "--preserve-fds=1", "c1"],
        ["create", "c1"],
        ["--debug", "start", "c1"],
        ["run", "--bundle", "/b", "c1"],
        ["run", "-d", "-b", "/b", "--pid-file", "/p", "c1"],
        ["run", "--detach", "--bundle", "/b", "--no-new-keyring", "c1"],
        ["kill", "c1"],
        ["kill", "c1", "KILL"],
        ["kill", "--all", "c1", "9"],
        ["kill", "-a", "c1", "SIGTERM"],
        ["delete", "c1"],
        ["delete", "--force", "c1"],
        ["delete", "-f", "c1"],
        ["state", "--root", "/after/the/verb", "c1"],
        ["delete", "c1", "--log", "/l", "--log-format", "json"],
        ["--root", "", "state", "c1"],
    ]

    @Test(arguments: accepted)
    func agreesWithTheArgumentParser(_ args: [String]) throws {
        let fast = try #require(RuntimeMain.parseHot(args), "fast path refused \(args)")
        let parsed = try RuntimeCommand.parseAsRoot(args)
        let verb = try #require(parsed as? any HotVerb, "\(type(of: parsed)) is not a hot verb")
        #expect(fast.global == verb.global.settings)
        #expect(fast.command == verb.hot)
    }

    @Test func readsValuesAsGiven() throws {
        let invocation = try #require(RuntimeMain.parseHot(
            ["--root", "/r", "--log", "/l", "--log-format", "json", "run", "-d", "--bundle", "/b", "--preserve-fds", "3", "c1"]))
        #expect(invocation.global == GlobalSettings(root: "/r", log: "/l", logFormat: .json))
        #expect(invocation.command == .run(id: "c1", CreateSettings(bundle: "/b", preserveFDs: 3), detach: true))
        #expect(RuntimeMain.parseHot(["kill", "c1"])?.command == .kill(id: "c1", signal: "SIGTERM", all: false))
    }

    /// Shapes left to the argument parser: help and version, unknown or repeated flags, values that
    /// look like flags, `--`, clusters, wrong counts, other verbs, bad values.
    static let refused: [[String]] = [
        [], ["--help"], ["-h"], ["--version"], ["state", "--help"], ["help", "state"],
        ["state"], ["state", "a", "b"], ["kill", "c1", "KILL", "extra"], ["start"],
        ["--rootless", "state", "c1"], ["state", "--format", "json", "c1"],
        ["--root", "/a", "state", "--root", "/b", "c1"], ["delete", "-f", "--force", "c1"],
        ["create", "--bundle", "--pid-file", "/p", "c1"], ["create", "--bundle"], ["--root"],
        ["create", "--bundle=", "c1"], ["--root", "-x", "state", "c1"],
        ["delete", "-fa", "c1"], ["delete", "--force=true", "c1"], ["run", "-a", "c1"], ["state", "-", "c1"],
        ["--log-format", "xml", "state", "c1"], ["create", "--preserve-fds", "many", "c1"],
        ["state", "--", "c1"], ["kill", "c1", "-9"], ["---root", "/r", "state", "c1"], ["--=x", "state", "c1"],
        ["exec", "c1", "ls"], ["list"], ["ps", "c1"], ["init", "--sync-fd", "3"], ["spec"],
    ]

    @Test(arguments: refused)
    func leavesEverythingElseToTheArgumentParser(_ args: [String]) {
        #expect(RuntimeMain.parseHot(args) == nil, "fast path took \(args)")
    }
}
