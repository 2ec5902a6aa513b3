// The init fast path parses exactly what create and exec write, so the container's init never
// pays for swift-argument-parser; anything else falls back to the full parser.
@testable import RuntimeCLI
@testable import RuntimeCore
import TestSupport
import Testing

@Suite(.offPool) struct InitFastPathTests {
    @Test func roundTripsEveryOption() {
        var exec = InitOptions(syncFD: 4, fifoFD: 5, consoleFD: 6, bundle: "/b", noPivot: true, preserveFDs: 1,
                               containerID: "x", newKeyring: true)
        exec.execTarget = 42
        exec.processFile = "/run/p.json"
        let create = InitOptions(syncFD: 3, fifoFD: 4, consoleFD: nil, bundle: "/bundle dir", noPivot: false, preserveFDs: 0,
                                 containerID: "c1")
        for options in [exec, create] {
            #expect(RuntimeMain.parseInit(Array(options.arguments.dropFirst())) == options)
        }
    }

    @Test func unexpectedArgumentsFallBack() {
        #expect(RuntimeMain.parseInit(["--help"]) == nil)
        #expect(RuntimeMain.parseInit(["--sync-fd", "3", "--fifo-fd", "4"]) == nil)  // no bundle
        #expect(RuntimeMain.parseInit(["--sync-fd", "3", "--fifo-fd", "4", "--bundle", "/b"]) == nil)  // no id
        #expect(RuntimeMain.parseInit(["--sync-fd", "3", "--fifo-fd", "4", "--bundle", "/b", "--id", "c", "--bogus", "1"]) == nil)
        #expect(RuntimeMain.parseInit(["--sync-fd", "x", "--fifo-fd", "4", "--bundle", "/b", "--id", "c"]) == nil)
    }
}
