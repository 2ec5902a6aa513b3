// CLITimeTests: the CLI's time texts in docker's shapes — Go's time.Time String() for CreatedAt
// and RFC 3339 with nanoseconds for JSON — computed in UTC without a DateFormatter.
@testable import BerthCLI
import Foundation
import TestSupport
import Testing

@Suite(.offPool) struct CLITimeTests {
    @Test func timesAreShownAsDockerShowsThem() {
        // 2026-12-06 11:39:24.5 UTC
        let date = Date(timeIntervalSince1970: 1_796_557_164.5)
        #expect(goTime(date) == "2026-12-06 11:39:24 +0000 UTC")
        #expect(rfc3339(date) == "2026-12-06T11:39:24.500000000Z")
        #expect(rfc3339(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000000Z")
        // A leap day, single-digit fields padded, a time just before midnight.
        #expect(goTime(Date(timeIntervalSince1970: 951_868_799)) == "2000-02-29 23:59:59 +0000 UTC")
        #expect(rfc3339(Date(timeIntervalSince1970: 1_104_541_261.25)) == "2005-01-01T01:01:01.250000000Z")
    }
}
