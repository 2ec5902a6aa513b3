// CgroupConversionTests: runc's v1 → v2 conversions (shares → weight, memory+swap → swap,
// blkio weight → io weight).
import Errdefs
import Testing

@testable import Cgroups

@Suite struct CgroupConversionTests {
    @Test(arguments: [
        (UInt64(0), UInt64(0)), (1, 1), (2, 1), (3, 1), (512, 20), (1024, 39), (2048, 79),
        (100_000, 3815), (262_143, 9_999), (262_144, 10_000), (1_000_000, 10_000),
    ])
    func sharesToWeight(shares: UInt64, weight: UInt64) {
        #expect(CgroupConversion.cpuWeight(shares: shares) == weight)
    }

    @Test func swapIsMemoryPlusSwapMinusMemory() throws {
        #expect(try CgroupConversion.swapMax(swap: 96 << 20, memory: 64 << 20) == 32 << 20)
        #expect(try CgroupConversion.swapMax(swap: 64 << 20, memory: 64 << 20) == 0)
        #expect(try CgroupConversion.swapMax(swap: -1, memory: 64 << 20) == -1)
        #expect(try CgroupConversion.swapMax(swap: 0, memory: 64 << 20) == 0)
        #expect(try CgroupConversion.swapMax(swap: 0, memory: -1) == -1)
        #expect(try CgroupConversion.swapMax(swap: 1 << 30, memory: -1) == 1 << 30)
    }

    @Test func swapErrors() {
        #expect(throws: CoreError.self) { try CgroupConversion.swapMax(swap: 32 << 20, memory: 64 << 20) }
        #expect(throws: CoreError.self) { try CgroupConversion.swapMax(swap: 32 << 20, memory: 0) }
        #expect(throws: CoreError.self) { try CgroupConversion.swapMax(swap: 32 << 20, memory: -5) }
    }

    @Test(arguments: [(UInt16(0), UInt64(0)), (10, 1), (100, 910), (500, 4950), (1000, 10_000)])
    func blkioWeightToIOWeight(blkio: UInt16, io: UInt64) {
        #expect(CgroupConversion.ioWeight(blkioWeight: blkio) == io)
    }
}
