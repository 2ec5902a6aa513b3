// CgroupConversion: the OCI spec speaks cgroup v1 (shares, memory+swap, blkio weight); cgroup v2
// files take other units. These are runc's conversions (libcontainer/cgroups/utils.go, 1.1).
import Errdefs

/// Conversions from OCI (cgroup v1) values to cgroup v2 values.
public enum CgroupConversion {
    /// cpu.shares [2, 262144] → cpu.weight [1, 10000], runc's linear map
    /// `1 + ((shares - 2) * 9999) / 262142`: 2 → 1, 1024 → 39, 262144 → 10000. 0 means unset.
    public static func cpuWeight(shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        if shares <= 2 { return 1 }
        if shares >= 262_144 { return 10_000 }
        return 1 + ((shares - 2) * 9_999) / 262_142
    }

    /// OCI memory.swap is memory+swap; memory.swap.max is swap alone: `swap - limit`.
    /// -1 stays -1 ("max"), 0 stays 0 (unset), and unlimited memory with no swap given means
    /// unlimited swap too (v1 compatibility). Throws invalidArgument when swap is below the limit
    /// or given without a memory limit.
    public static func swapMax(swap: Int64, memory: Int64) throws(CoreError) -> Int64 {
        if memory == -1 && swap == 0 { return -1 }
        if swap == -1 || swap == 0 { return swap }
        if memory == -1 { return swap }
        if memory == 0 { throw CoreError.invalidArgument("unable to set swap limit without memory limit") }
        if memory < 0 { throw CoreError.invalidArgument("invalid memory value: \(memory)") }
        if swap < memory { throw CoreError.invalidArgument("memory+swap limit (\(swap)) should be >= memory limit (\(memory))") }
        return swap - memory
    }

    /// blkio.weight [10, 1000] → io.weight [1, 10000]: `1 + (weight - 10) * 9999 / 990`. 0 means unset.
    public static func ioWeight(blkioWeight weight: UInt16) -> UInt64 {
        if weight == 0 { return 0 }
        if weight <= 10 { return 1 }
        return 1 + (UInt64(weight) - 10) * 9_999 / 990
    }

    /// A v2 limit file value: -1 → "max", otherwise the number (other negatives are left for
    /// the kernel to refuse, as runc does).
    static func limitString(_ value: Int64) -> String {
        value == -1 ? "max" : String(value)
    }
}
