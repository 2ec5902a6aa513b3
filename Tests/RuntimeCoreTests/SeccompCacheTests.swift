// SeccompCacheTests: a profile is compiled once per runtime root and read back afterwards; what
// is read back is the program a compile makes; a damaged entry is compiled again and replaced;
// another profile gets another entry.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LinuxSecurity
import OCI
import Testing

@testable import RuntimeCore

@Suite struct SeccompCacheTests {
    @Test func compiledOnceThenReadBackAndDamageIsRepaired() throws {
        let work = try TemporaryDirectory()
        let cache = SeccompCache(directory: work.path + "/seccomp")
        let profile = SeccompProfileTests.dockerLike
        let compiled = try SeccompProfile(profile).compile()

        #expect(try cache.program(for: profile) == compiled)
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.directory)
        #expect(entries.count == 1 && entries[0].hasSuffix(".bpf"))
        let entry = cache.directory + "/" + entries[0]
        #expect(try Data(contentsOf: URL(fileURLWithPath: entry)) == Data(compiled.instructions))

        // Read back: an entry replaced by another valid program is what the cache returns (so the
        // second call did not compile).
        let allowAll = try SeccompProfile(LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW")).compile()
        try Data(allowAll.instructions).write(to: URL(fileURLWithPath: entry))
        #expect(try cache.program(for: profile).instructions == allowAll.instructions)

        // A damaged entry (not whole instructions) is compiled again and rewritten.
        try Data([1, 2, 3, 4, 5]).write(to: URL(fileURLWithPath: entry))
        #expect(try cache.program(for: profile) == compiled)
        #expect(try Data(contentsOf: URL(fileURLWithPath: entry)) == Data(compiled.instructions))

        // Another profile, another key.
        var other = profile
        other.defaultErrnoRet = 38
        _ = try cache.program(for: other)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.directory).count == 2)
        #expect(SeccompCache.key(profile) != SeccompCache.key(other))
    }
}
