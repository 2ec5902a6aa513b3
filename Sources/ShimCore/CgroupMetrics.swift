// CgroupMetrics: Stats for the container — its init's cgroup (from /proc/PID/cgroup) read
// straight from cgroupfs, packed as containerd's io.containerd.cgroups.v1.Metrics or
// io.containerd.cgroups.v2.Metrics (Protocols/containerd/cgroups; the pids, cpu and memory
// fields). A handful of small sysfs reads: cheaper than running the runtime's `events --stats`.
import Errdefs
import Glibc

/// A protobuf message made only of uint64 fields and nested such messages, by field number —
/// all the cgroup Metrics messages need. Encoded in field order.
public struct NumericMessage: ProtoMessage, Equatable {
    public var numbers: [Int: UInt64] = [:]
    public var messages: [Int: NumericMessage] = [:]
    public init() {}
    public init(_ numbers: [Int: UInt64?], _ messages: [Int: NumericMessage] = [:]) {
        self.numbers = numbers.compactMapValues { $0 }
        self.messages = messages
    }

    public mutating func decodeField(_ field: Int, _ wire: WireType, from r: inout ProtoReader) throws(CoreError) -> Bool {
        switch wire {
        case .varint: numbers[field] = try r.varint()
        case .lengthDelimited: messages[field] = try r.message()
        default: return false
        }
        return true
    }

    public func encode(to w: inout ProtoWriter) {
        for field in Set(numbers.keys).union(messages.keys).sorted() {
            if let number = numbers[field] { w.uint64(field, number) }
            if let message = messages[field] { w.message(field, message) }
        }
    }
}

enum CgroupMetrics {
    static let root = "/sys/fs/cgroup"

    /// Where `pid`'s cgroups are: the v2 directory on a cgroup v2 host, else each v1
    /// controller's directory.
    static func membership(pid: Int32) throws(CoreError) -> (v2: String?, v1: [String: String]) {
        guard let membership = text("/proc/\(pid)/cgroup") else {
            throw CoreError(.notFound, "cgroup of pid \(pid): not found")
        }
        // "hierarchy:controllers:path"; cgroup v2's single line has no controllers.
        var unified: String?
        var directories: [String: String] = [:]
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[1].isEmpty { unified = String(parts[2]); continue }
            for controller in parts[1].split(separator: ",") {
                directories[String(controller)] = "\(root)/\(parts[1])\(parts[2])"
            }
        }
        if access("\(root)/cgroup.controllers", F_OK) == 0, let unified { return ("\(root)\(unified)", [:]) }
        return (nil, directories)
    }

    /// The Metrics of the cgroup `pid` is in, as StatsResponse.stats.
    static func collect(pid: Int32) throws(CoreError) -> AnyMessage {
        let cgroups = try membership(pid: pid)
        if let dir = cgroups.v2 {
            return AnyMessage(typeURL: "io.containerd.cgroups.v2.Metrics", value: v2(dir).protoBytes)
        }
        return AnyMessage(typeURL: "io.containerd.cgroups.v1.Metrics", value: v1(cgroups.v1).protoBytes)
    }

    static func v2(_ dir: String) -> NumericMessage {
        let cpu = keyed("\(dir)/cpu.stat")
        let memory = keyed("\(dir)/memory.stat")
        return NumericMessage([:], [
            1: NumericMessage([1: number("\(dir)/pids.current"), 2: limit("\(dir)/pids.max", unlimited: 0)]),
            2: NumericMessage([1: cpu["usage_usec"], 2: cpu["user_usec"], 3: cpu["system_usec"]]),
            4: NumericMessage([1: memory["anon"], 2: memory["file"], 32: number("\(dir)/memory.current"),
                               33: limit("\(dir)/memory.max", unlimited: .max), 34: number("\(dir)/memory.swap.current"),
                               35: limit("\(dir)/memory.swap.max", unlimited: .max)]),
        ])
    }

    static func v1(_ directories: [String: String]) -> NumericMessage {
        var metrics = NumericMessage()
        if let pids = directories["pids"] {
            metrics.messages[2] = NumericMessage([1: number("\(pids)/pids.current"), 2: limit("\(pids)/pids.max", unlimited: 0)])
        }
        if let cpu = directories["cpuacct"] {
            metrics.messages[3] = NumericMessage([:], [1: NumericMessage([1: number("\(cpu)/cpuacct.usage"),
                2: number("\(cpu)/cpuacct.usage_sys"), 3: number("\(cpu)/cpuacct.usage_user")])])
        }
        if let memory = directories["memory"] {
            func entry(_ prefix: String) -> NumericMessage {
                NumericMessage([1: number("\(memory)/\(prefix).limit_in_bytes"), 2: number("\(memory)/\(prefix).usage_in_bytes"),
                                3: number("\(memory)/\(prefix).max_usage_in_bytes"), 4: number("\(memory)/\(prefix).failcnt")])
            }
            let stat = keyed("\(memory)/memory.stat")
            metrics.messages[4] = NumericMessage([1: stat["cache"], 2: stat["rss"]], [33: entry("memory"), 34: entry("memory.memsw")])
        }
        return metrics
    }

    static func text(_ path: String) -> String? {
        guard let bytes = try? AtomicFile.read(path, limit: 64 << 10) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func number(_ path: String) -> UInt64? {
        text(path).flatMap { UInt64($0.filter { !$0.isWhitespace }) }
    }

    /// A limit file: a number, or "max" meaning `unlimited`.
    static func limit(_ path: String, unlimited: UInt64) -> UInt64? {
        guard let value = text(path)?.filter({ !$0.isWhitespace }) else { return nil }
        return value == "max" ? unlimited : UInt64(value)
    }

    /// "key value" lines (memory.stat, cpu.stat).
    static func keyed(_ path: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in (text(path) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }
}
