// PsOptionsTests: `berth ps`'s hand parser (PsOptions.parse) and swift-argument-parser's PsCommand
// agree on every command line the hand parser takes, and the hand parser leaves to the argument
// parser what it does not fully understand (help, repeats, unknown flags, values that look like flags).
@testable import BerthCLI
import TestSupport
import Testing

@Suite(.offPool) struct PsOptionsTests {
    static let accepted: [[String]] = [
        [], ["-a"], ["--all"], ["-q"], ["--quiet"], ["-aq"], ["-qa"], ["-al"], ["-l"], ["--latest"], ["--no-trunc"],
        ["-a", "--no-trunc", "-q"], ["-n", "3"], ["--last", "5"], ["--last=7"], ["--last=-1"],
        ["-f", "status=exited"], ["--filter", "name=web"], ["--filter=label=a=b"],
        ["-f", "status=exited", "--filter", "name=web"],
        ["--format", "{{.ID}} {{.Names}}"], ["--format={{json .}}"], ["--format", "table {{.ID}}\t{{.Status}}"],
        ["-a", "--format", "{{.Names}}", "-f", "status=running", "-n", "2", "--no-trunc"],
    ]

    @Test(arguments: accepted) func theHandParserAgreesWithTheArgumentParser(_ args: [String]) throws {
        let fast = try #require(PsOptions.parse(args[...]), "refused \(args)")
        #expect(fast == (try PsCommand.parse(args)).options)
    }

    @Test func aClusterSetsEachFlagAndValuesKeepTheirText() throws {
        let options = try #require(PsOptions.parse(["-aq", "--format", "{{.ID}}", "-f", "a=b", "--filter=c=d", "-n", "4"]))
        #expect(options == PsOptions(all: true, quiet: true, filter: ["a=b", "c=d"], format: "{{.ID}}", last: 4))
    }

    static let refused: [[String]] = [
        ["--help"], ["-h"], ["-x"], ["--size"], ["-a", "-a"], ["-aa"], ["--all", "-a"], ["--format", "a", "--format", "b"],
        ["--format"], ["--format="], ["-f"], ["-f", "-a"], ["-n", "x"], ["-n", "-1"], ["-n5"], ["-af", "x"],
        ["--no-trunc=true"], ["--", "-a"], ["-"], ["web"], ["-n", "99999999999"],
    ]

    @Test(arguments: refused) func whatItDoesNotFullyUnderstandGoesToTheArgumentParser(_ args: [String]) {
        #expect(PsOptions.parse(args[...]) == nil)
    }
}
