// CgroupV1Manager+Resources: OCI linux.resources → cgroup v1 control files, controller by
// controller in runc's order (opencontainers/cgroups fs/*.go Set). Only fields that are present
// are written; values go in the kernel's notation, unconverted (the OCI spec speaks v1).
import Errdefs
import Glibc
import OCI

extension CgroupV1Manager {
    /// Writes `resources` to the v1 control files; a limit for an unmounted controller fails, and
    /// `unified` is refused (runc's ErrV1NoUnified).
    public func set(_ resources: LinuxResources) throws(CoreError) {
        if let unified = resources.unified, !unified.isEmpty {
            throw CoreError.invalidArgument("invalid configuration: cannot use unified on cgroup v1")
        }
        if let cpu = resources.cpu { try setCpuset(cpu) }
        if let devices = resources.devices { try setDevices(devices) }
        if let memory = resources.memory { try setMemory(memory) }
        if let cpu = resources.cpu { try setCPU(cpu) }
        if let pids = resources.pids {
            // pids.max takes a count or "max"; OCI's 0 and -1 both mean unlimited.
            let dir = try directory("pids", for: "pids limit")
            try CgroupFS.write(dir, "pids.max", pids.limit > 0 ? String(pids.limit) : "max")
        }
        if let blockIO = resources.blockIO { try setBlockIO(blockIO) }
        if let limits = resources.hugepageLimits, !limits.isEmpty { try setHugetlb(limits) }
        if let network = resources.network { try setNetwork(network) }
    }

    /// devices.deny "a" first (deny everything), then each rule to devices.allow or devices.deny
    /// in order, e.g. "c 1:3 rwm" — the rule list is an allow-list applied on top of deny-all.
    func setDevices(_ rules: [LinuxDeviceCgroup]) throws(CoreError) {
        var parsed: [DeviceRule] = []
        for rule in rules { parsed.append(try DeviceRule(rule)) }
        let dir = try directory("devices", for: "device rules")
        try CgroupFS.appendLine(dir, "devices.deny", "a")
        for rule in parsed {
            try CgroupFS.appendLine(dir, rule.allow ? "devices.allow" : "devices.deny", rule.description)
        }
    }

    /// memory.limit_in_bytes, memory.memsw.limit_in_bytes (memory+swap, as OCI's swap), the soft
    /// limit, OOM control, swappiness and kernel TCP memory. Kernel memory is ignored: the kernel
    /// deprecated memory.kmem.limit_in_bytes (runc ignores it too).
    func setMemory(_ memory: LinuxMemory) throws(CoreError) {
        let dir = try directory("memory", for: "memory limit")
        let limit = memory.limit ?? 0
        var swap = memory.swap ?? 0
        if memory.checkBeforeUpdate == true, limit > 0,
            let usage = try CgroupFS.readUInt64(dir, "memory.usage_in_bytes"), usage > UInt64(limit)
        {
            throw CoreError.failedPrecondition("memory limit \(limit) is below the current usage \(usage)")
        }
        // Unlimited memory with swap not given: make memory+swap unlimited too, else the old
        // memsw limit would still cap memory.
        if limit == -1 && swap == 0 && CgroupFS.exists(CgroupFS.join(dir, "memory.memsw.limit_in_bytes")) {
            swap = -1
        }
        // The kernel requires memory <= memsw at every moment, so the order depends on whether
        // the limits grow or shrink: raise memsw first when it grows past the current limit.
        if limit != 0 && swap != 0 {
            let current = (try? CgroupFS.readUInt64(dir, "memory.limit_in_bytes")).flatMap { $0 } ?? .max
            if swap == -1 || current < UInt64(swap) {
                try CgroupFS.write(dir, "memory.memsw.limit_in_bytes", String(swap))
                try writeMemoryLimit(dir, limit)
            } else {
                try writeMemoryLimit(dir, limit)
                try CgroupFS.write(dir, "memory.memsw.limit_in_bytes", String(swap))
            }
        } else if limit != 0 {
            try writeMemoryLimit(dir, limit)
        } else if swap != 0 {
            try CgroupFS.write(dir, "memory.memsw.limit_in_bytes", String(swap))
        }
        if let reservation = memory.reservation, reservation != 0 {
            try CgroupFS.write(dir, "memory.soft_limit_in_bytes", String(reservation))
        }
        if let tcp = memory.kernelTCP, tcp != 0 {
            try CgroupFS.write(dir, "memory.kmem.tcp.limit_in_bytes", String(tcp))
        }
        if memory.disableOOMKiller == true {
            try CgroupFS.write(dir, "memory.oom_control", "1")
        }
        if let swappiness = memory.swappiness {
            guard swappiness <= 100 else {
                throw CoreError.invalidArgument("invalid memory swappiness value: \(swappiness) (valid range is 0-100)")
            }
            try CgroupFS.write(dir, "memory.swappiness", String(swappiness))
        }
    }

    /// memory.limit_in_bytes; EBUSY means usage is above the new limit: say so with the figures.
    private func writeMemoryLimit(_ dir: String, _ limit: Int64) throws(CoreError) {
        do {
            try CgroupFS.write(dir, "memory.limit_in_bytes", String(limit))
        } catch {
            guard error.cause?.errno == EBUSY else { throw error }
            let usage = (try? CgroupFS.readUInt64(dir, "memory.usage_in_bytes")).flatMap { $0 }.map(String.init) ?? "?"
            let peak = (try? CgroupFS.readUInt64(dir, "memory.max_usage_in_bytes")).flatMap { $0 }.map(String.init) ?? "?"
            throw CoreError(.failedPrecondition, "unable to set memory limit to \(limit) (current usage: \(usage), peak usage: \(peak))", cause: error.cause)
        }
    }

    /// cpuset.cpus and cpuset.mems.
    func setCpuset(_ cpu: LinuxCPU) throws(CoreError) {
        if let cpus = cpu.cpus, !cpus.isEmpty {
            try CgroupFS.write(try directory("cpuset", for: "cpuset.cpus"), "cpuset.cpus", cpus)
        }
        if let mems = cpu.mems, !mems.isEmpty {
            try CgroupFS.write(try directory("cpuset", for: "cpuset.mems"), "cpuset.mems", mems)
        }
    }

    /// cpu.shares, CFS period/quota/burst, realtime period/runtime and cpu.idle.
    func setCPU(_ cpu: LinuxCPU) throws(CoreError) {
        let anything = cpu.shares != nil || cpu.quota != nil || cpu.period != nil || cpu.burst != nil
            || cpu.realtimePeriod != nil || cpu.realtimeRuntime != nil || cpu.idle != nil
        guard anything else { return }
        let dir = try directory("cpu", for: "cpu limits")
        if let shares = cpu.shares, shares != 0 {
            try CgroupFS.write(dir, "cpu.shares", String(shares))
        }
        // A new period can be rejected (EINVAL) against the old quota; then write it after the
        // quota, as runc does.
        var periodLater = false
        if let period = cpu.period, period != 0 {
            do {
                try CgroupFS.write(dir, "cpu.cfs_period_us", String(period))
            } catch {
                guard error.cause?.errno == EINVAL, (cpu.quota ?? 0) != 0 else { throw error }
                periodLater = true
            }
        }
        if let burst = cpu.burst {
            try CgroupFS.write(dir, "cpu.cfs_burst_us", String(burst))
        }
        if let quota = cpu.quota, quota != 0 {
            try CgroupFS.write(dir, "cpu.cfs_quota_us", String(quota))
            if periodLater, let period = cpu.period {
                try CgroupFS.write(dir, "cpu.cfs_period_us", String(period))
            }
        }
        if let period = cpu.realtimePeriod, period != 0 {
            try CgroupFS.write(dir, "cpu.rt_period_us", String(period))
        }
        if let runtime = cpu.realtimeRuntime, runtime != 0 {
            try CgroupFS.write(dir, "cpu.rt_runtime_us", String(runtime))
        }
        if let idle = cpu.idle {
            try CgroupFS.write(dir, "cpu.idle", String(idle))
        }
    }

    /// blkio weights (CFQ's blkio.weight, or BFQ's blkio.bfq.weight when that is what the
    /// kernel has) and the throttle files, one "major:minor value" command per device.
    func setBlockIO(_ io: LinuxBlockIO) throws(CoreError) {
        let dir = try directory("blkio", for: "block IO limits")
        let bfq = !CgroupFS.exists(CgroupFS.join(dir, "blkio.weight")) && CgroupFS.exists(CgroupFS.join(dir, "blkio.bfq.weight"))
        let weightFile = bfq ? "blkio.bfq.weight" : "blkio.weight"
        if let weight = io.weight, weight != 0 {
            try CgroupFS.write(dir, weightFile, String(weight))
        }
        if let leafWeight = io.leafWeight, leafWeight != 0 {
            try CgroupFS.write(dir, "blkio.leaf_weight", String(leafWeight))
        }
        for device in io.weightDevice ?? [] {
            if let weight = device.weight, weight != 0 {
                try CgroupFS.appendLine(dir, weightFile + "_device", "\(device.major):\(device.minor) \(weight)")
            }
            if let leafWeight = device.leafWeight, leafWeight != 0 {
                try CgroupFS.appendLine(dir, "blkio.leaf_weight_device", "\(device.major):\(device.minor) \(leafWeight)")
            }
        }
        let throttles: [(String, [LinuxThrottleDevice]?)] = [
            ("blkio.throttle.read_bps_device", io.throttleReadBpsDevice),
            ("blkio.throttle.write_bps_device", io.throttleWriteBpsDevice),
            ("blkio.throttle.read_iops_device", io.throttleReadIOPSDevice),
            ("blkio.throttle.write_iops_device", io.throttleWriteIOPSDevice),
        ]
        for (file, devices) in throttles {
            for device in devices ?? [] {
                try CgroupFS.appendLine(dir, file, "\(device.major):\(device.minor) \(device.rate)")
            }
        }
    }

    /// hugetlb.<size>.limit_in_bytes, plus the reservation limit where the kernel has one.
    func setHugetlb(_ limits: [LinuxHugepageLimit]) throws(CoreError) {
        let dir = try directory("hugetlb", for: "hugepage limits")
        for limit in limits {
            try CgroupFS.write(dir, "hugetlb.\(limit.pageSize).limit_in_bytes", String(limit.limit))
            let reserved = "hugetlb.\(limit.pageSize).rsvd.limit_in_bytes"
            if CgroupFS.exists(CgroupFS.join(dir, reserved)) {
                try CgroupFS.write(dir, reserved, String(limit.limit))
            }
        }
    }

    /// net_cls.classid and net_prio.ifpriomap ("interface priority" per line).
    func setNetwork(_ network: LinuxNetwork) throws(CoreError) {
        if let classID = network.classID {
            try CgroupFS.write(try directory("net_cls", for: "net_cls class id"), "net_cls.classid", String(classID))
        }
        for priority in network.priorities ?? [] {
            let dir = try directory("net_prio", for: "net_prio priorities")
            try CgroupFS.appendLine(dir, "net_prio.ifpriomap", "\(priority.name) \(priority.priority)")
        }
    }
}
