// update and events: runc's flags for changing limits (or a LinuxResources JSON from --resources
// FILE or -), and the events (`--stats` once, else one JSON line every --interval plus one per OOM kill).
import ArgumentParser
import Errdefs
import JSON
import OCI
import RuntimeCore
#if canImport(Glibc)
import Glibc
#endif

struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Update a container's resource limits.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "LinuxResources JSON file, or - for stdin.") var resources: String?
    @Option(name: .long, help: "Memory limit (bytes, or with k/m/g).") var memory: String?
    @Option(name: .customLong("memory-reservation"), help: "Memory soft limit.") var memoryReservation: String?
    @Option(name: .customLong("memory-swap"), help: "Memory plus swap limit (-1: unlimited).") var memorySwap: String?
    @Option(name: .customLong("cpu-shares"), help: "CPU shares (relative weight).") var cpuShares: UInt64?
    @Option(name: .customLong("cpu-quota"), help: "CPU CFS quota in microseconds (-1: none).") var cpuQuota: Int64?
    @Option(name: .customLong("cpu-period"), help: "CPU CFS period in microseconds.") var cpuPeriod: UInt64?
    @Option(name: .customLong("cpuset-cpus"), help: "CPUs allowed (e.g. 0-1).") var cpusetCpus: String?
    @Option(name: .customLong("cpuset-mems"), help: "Memory nodes allowed.") var cpusetMems: String?
    @Option(name: .customLong("pids-limit"), help: "Maximum number of processes (-1: unlimited).") var pidsLimit: Int64?
    @Option(name: .customLong("blkio-weight"), help: "Block IO weight (10-1000).") var blkioWeight: UInt16?
    @Argument(help: "The container id.") var id: String

    func run() throws {
        try reporting(global) { () throws(CoreError) in
            try global.runtime.update(id: id, resources: try build())
        }
    }

    private func build() throws(CoreError) -> LinuxResources {
        if let resources {
            let bytes = try readWhole(resources == "-" ? "/dev/stdin" : resources, flag: "--resources")
            do { return try JSONCodec.decode(LinuxResources.self, from: bytes) } catch {
                throw CoreError(.invalidArgument, "--resources: not a LinuxResources document: \(error.description)")
            }
        }
        var r = LinuxResources()
        if memory != nil || memoryReservation != nil || memorySwap != nil {
            var m = LinuxMemory()
            m.limit = try memory.map { (v) throws(CoreError) in try Bytes.parse(v, flag: "--memory") }
            m.reservation = try memoryReservation.map { (v) throws(CoreError) in try Bytes.parse(v, flag: "--memory-reservation") }
            m.swap = try memorySwap.map { (v) throws(CoreError) in try Bytes.parse(v, flag: "--memory-swap") }
            r.memory = m
        }
        if cpuShares != nil || cpuQuota != nil || cpuPeriod != nil || cpusetCpus != nil || cpusetMems != nil {
            r.cpu = LinuxCPU(shares: cpuShares, quota: cpuQuota, period: cpuPeriod, cpus: cpusetCpus, mems: cpusetMems)
        }
        if let pidsLimit { r.pids = LinuxPids(limit: pidsLimit) }
        if let blkioWeight { r.blockIO = LinuxBlockIO(weight: blkioWeight) }
        return r
    }
}

/// Sizes as docker and runc take them: 1024, 64k, 64m, 1g (binary units); -1 passes through.
enum Bytes {
    static func parse(_ text: String, flag: String) throws(CoreError) -> Int64 {
        if text == "-1" { return -1 }
        let lower = text.lowercased()
        let units: [(String, Int64)] = [("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("g", 1 << 30), ("m", 1 << 20),
                                        ("k", 1 << 10), ("b", 1)]
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            if let n = Int64(lower.dropLast(suffix.count)), n >= 0 { return n * factor }
        }
        guard let n = Int64(lower), n >= 0 else { throw CoreError(.invalidArgument, "\(flag) \(text): expected a size such as 64m") }
        return n
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Print a container's resource usage as JSON events.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print the stats once and exit.") var stats = false
    @Option(help: "Time between stats events (Go duration: 5s, 500ms; a bare number is seconds).") var interval = "5s"
    @Argument(help: "The container id.") var id: String

    func validate() throws {
        guard let d = GoDuration.parse(interval), d > .zero else {
            throw ValidationError("invalid --interval \"\(interval)\": want a positive duration such as 5s or 500ms")
        }
    }

    func run() throws {
        try reporting(global) { () throws(CoreError) in
            try global.runtime.watchEvents(id: id, interval: GoDuration.parse(interval) ?? .seconds(5), once: stats) { event in
                switch event {
                case .stats(let s):
                    func n(_ v: UInt64?) -> String { v.map(String.init) ?? "0" }
                    print("{\"type\":\"stats\",\"id\":\"\(id)\",\"data\":{\"cpu\":{\"usage\":{\"total\":\(n(s.cpuUsageNanoseconds))}},"
                        + "\"memory\":{\"usage\":{\"usage\":\(n(s.memoryUsage)),\"limit\":\(n(s.memoryLimit))}},"
                        + "\"pids\":{\"current\":\(n(s.pidsCurrent)),\"limit\":\(n(s.pidsLimit))}}}")
                case .oom:
                    print("{\"type\":\"oom\",\"id\":\"\(id)\"}")
                }
                fflush(nil)  // every stream: a reader (a shim) sees each event at once
            }
        }
    }
}
