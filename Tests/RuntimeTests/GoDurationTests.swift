// GoDurationTests: --interval takes durations as runc (Go) writes them.
import Testing

@testable import RuntimeCLI

@Suite struct GoDurationTests {
    @Test func parsesGoDurations() {
        #expect(GoDuration.parse("5s") == .seconds(5))
        #expect(GoDuration.parse("100ms") == .milliseconds(100))
        #expect(GoDuration.parse("1m30s") == .seconds(90))
        #expect(GoDuration.parse("1.5h") == .seconds(5400))
        #expect(GoDuration.parse("250us") == .microseconds(250))
        #expect(GoDuration.parse("7") == .seconds(7))  // a bare number: seconds
    }

    @Test func rejectsWhatGoRejects() {
        for bad in ["", "s", "5x", "-1s", "1..5s", "ms5"] {
            #expect(GoDuration.parse(bad) == nil, "\(bad)")
        }
    }
}
