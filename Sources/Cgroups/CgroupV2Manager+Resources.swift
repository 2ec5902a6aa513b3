// CgroupV2Manager+Resources: OCI linux.resources → cgroup v2 control files, in runc's order
// (opencontainers/cgroups fs2/fs2.go Set). The OCI spec speaks cgroup v1, so shares, memory+swap
// and blkio weights are converted (CgroupConversion); devices become an eBPF program.
import Errdefs
import Glibc
import OCI

extension CgroupV2Manager {
    /// Writes `resources`. net_cls/net_prio settings have no cgroup v2 equivalent and are
    /// ignored, as runc does; realtime CPU settings are refused.
    public func set(_ resources: LinuxResources) throws(CoreError) {
        if let pids = resources.pids {
            try CgroupFS.write(directory, "pids.max", pids.limit > 0 ? String(pids.limit) : "max")
        }
        if let memory = resources.memory { try setMemory(memory) }
        if let io = resources.blockIO { try setIO(io) }
        if let cpu = resources.cpu { try setCPU(cpu) }
        if let devices = resources.devices { try DeviceFilter.install(devices, on: directory) }
        if let cpu = resources.cpu {
            if let cpus = cpu.cpus, !cpus.isEmpty { try CgroupFS.write(directory, "cpuset.cpus", cpus) }
            if let mems = cpu.mems, !mems.isEmpty { try CgroupFS.write(directory, "cpuset.mems", mems) }
        }
        if let limits = resources.hugepageLimits, !limits.isEmpty { try setHugetlb(limits) }
        if let unified = resources.unified { try setUnified(unified) }
    }

    /// memory.swap.max (swap alone: OCI swap minus the limit), memory.max and memory.low.
    func setMemory(_ memory: LinuxMemory) throws(CoreError) {
        let limit = memory.limit ?? 0
        let swap = memory.swap ?? 0
        let reservation = memory.reservation ?? 0
        guard limit != 0 || swap != 0 || reservation != 0 else { return }
        if memory.checkBeforeUpdate == true, limit > 0,
            let usage = try CgroupFS.readUInt64(directory, "memory.current"), usage > UInt64(limit)
        {
            throw CoreError.failedPrecondition("memory limit \(limit) is below the current usage \(usage)")
        }
        let swapMax = try CgroupConversion.swapMax(swap: swap, memory: limit)
        // 0 means "not set", except when swap equals the limit: then no swap at all is allowed.
        let swapText: String? = swapMax == 0 ? (swap > 0 ? "0" : nil) : CgroupConversion.limitString(swapMax)
        if let swapText {
            do {
                try CgroupFS.write(directory, "memory.swap.max", swapText)
            } catch {
                // No swap accounting: "no limit" and "no swap" are then true anyway.
                guard error.cause?.errno == ENOENT, swapText == "max" || swapText == "0" else { throw error }
            }
        }
        if limit != 0 {
            try CgroupFS.write(directory, "memory.max", CgroupConversion.limitString(limit))
        }
        if reservation != 0 {
            try CgroupFS.write(directory, "memory.low", CgroupConversion.limitString(reservation))
        }
    }

    /// cpu.idle, cpu.weight (from shares), cpu.max "quota period" ("max" without a quota) and
    /// cpu.max.burst.
    func setCPU(_ cpu: LinuxCPU) throws(CoreError) {
        if (cpu.realtimeRuntime ?? 0) != 0 || (cpu.realtimePeriod ?? 0) != 0 {
            throw CoreError.invalidArgument("realtime CPU settings (realtimeRuntime, realtimePeriod) are not supported on cgroup v2")
        }
        if let idle = cpu.idle {
            try CgroupFS.write(directory, "cpu.idle", String(idle))
        }
        if let shares = cpu.shares, shares != 0 {
            try CgroupFS.write(directory, "cpu.weight", String(CgroupConversion.cpuWeight(shares: shares)))
        }
        let quota = cpu.quota ?? 0
        let period = cpu.period ?? 0
        // A burst above the current quota is refused (EINVAL); retry it after the new cpu.max.
        var burstLater: UInt64?
        if let burst = cpu.burst {
            do {
                try CgroupFS.write(directory, "cpu.max.burst", String(burst))
            } catch {
                guard error.cause?.errno == EINVAL, quota != 0 else { throw error }
                burstLater = burst
            }
        }
        if quota != 0 || period != 0 {
            let quotaText = quota > 0 ? String(quota) : "max"
            try CgroupFS.write(directory, "cpu.max", "\(quotaText) \(period != 0 ? period : 100_000)")
            if let burstLater {
                try CgroupFS.write(directory, "cpu.max.burst", String(burstLater))
            }
        }
    }

    /// io.weight (converted from the blkio range) or, with the BFQ scheduler, io.bfq.weight
    /// (unconverted), per device as "major:minor weight"; io.max "major:minor rbps=N" etc.
    func setIO(_ io: LinuxBlockIO) throws(CoreError) {
        let bfq = CgroupFS.exists(CgroupFS.join(directory, "io.bfq.weight"))
        func weightText(_ weight: UInt16) -> String {
            bfq ? String(weight) : String(CgroupConversion.ioWeight(blkioWeight: weight))
        }
        let weightFile = bfq ? "io.bfq.weight" : "io.weight"
        if let weight = io.weight, weight != 0 {
            try CgroupFS.write(directory, weightFile, weightText(weight))
        }
        for device in io.weightDevice ?? [] {
            if let weight = device.weight, weight != 0 {
                try CgroupFS.appendLine(directory, weightFile, "\(device.major):\(device.minor) \(weightText(weight))")
            }
        }
        let throttles: [(String, [LinuxThrottleDevice]?)] = [
            ("rbps", io.throttleReadBpsDevice), ("wbps", io.throttleWriteBpsDevice),
            ("riops", io.throttleReadIOPSDevice), ("wiops", io.throttleWriteIOPSDevice),
        ]
        for (key, devices) in throttles {
            for device in devices ?? [] {
                try CgroupFS.appendLine(directory, "io.max", "\(device.major):\(device.minor) \(key)=\(device.rate)")
            }
        }
    }

    /// hugetlb.<size>.max, plus hugetlb.<size>.rsvd.max where the kernel has it.
    func setHugetlb(_ limits: [LinuxHugepageLimit]) throws(CoreError) {
        for limit in limits {
            try CgroupFS.write(directory, "hugetlb.\(limit.pageSize).max", String(limit.limit))
            let reserved = "hugetlb.\(limit.pageSize).rsvd.max"
            if CgroupFS.exists(CgroupFS.join(directory, reserved)) {
                try CgroupFS.write(directory, reserved, String(limit.limit))
            }
        }
    }

    /// The `unified` map, each value written verbatim to the file named by its key (in key
    /// order). Keys must be plain file names in this directory.
    func setUnified(_ unified: [String: String]) throws(CoreError) {
        for key in unified.keys.sorted() {
            guard !key.isEmpty, !key.contains("/"), key != ".", key != ".." else {
                throw CoreError.invalidArgument("unified resource \"\(key)\": not a cgroup file name")
            }
            do {
                try CgroupFS.write(directory, key, unified[key] ?? "")
            } catch {
                guard error.cause?.errno == ENOENT else { throw error }
                let controller = key.split(separator: ".").first.map(String.init) ?? key
                throw CoreError(.invalidArgument, "unified resource \"\(key)\": no such file in \(directory) (is the \(controller) controller enabled?)", cause: error.cause)
            }
        }
    }
}
