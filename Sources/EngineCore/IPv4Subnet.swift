// IPv4Subnet: an IPv4 network "a.b.c.d/n" — parsing, membership, overlap, the n-th address —
// and the choice of a free private subnet for a new network: one no host route (so no host
// interface, nor another engine's bridge) and no network of this engine already uses.
import Foundation

struct IPv4Subnet: Equatable, CustomStringConvertible {
    let base: UInt32
    let prefix: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let address = Self.parse(String(parts[0])) else { return nil }
        let prefix = parts.count == 2 ? Int(parts[1]) : 32
        guard let prefix, (0...32).contains(prefix) else { return nil }
        self.init(base: address, prefix: prefix)
    }

    init(base: UInt32, prefix: Int) {
        self.prefix = prefix
        self.base = base & Self.mask(prefix)
    }

    static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }

    static func parse(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        return octets.reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func format(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 255).\(address >> 8 & 255).\(address & 255)"
    }

    var size: UInt32 { prefix == 0 ? UInt32.max : UInt32(1) << UInt32(32 - prefix) }
    var description: String { "\(Self.format(base))/\(prefix)" }
    func address(at offset: UInt32) -> String { Self.format(base &+ offset) }
    func contains(_ address: UInt32) -> Bool { address & Self.mask(prefix) == base }
    func overlaps(_ other: IPv4Subnet) -> Bool {
        let shorter = min(prefix, other.prefix)
        return base & Self.mask(shorter) == other.base & Self.mask(shorter)
    }

    /// The host's IPv4 routes' destinations (the default route excluded): /proc/net/route.
    static func hostRoutes() -> [IPv4Subnet] {
        let text = (try? String(contentsOfFile: "/proc/net/route", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count > 7, let destination = UInt32(fields[1], radix: 16), let mask = UInt32(fields[7], radix: 16),
                  mask != 0 else { return nil }
            return IPv4Subnet(base: destination.byteSwapped, prefix: mask.nonzeroBitCount)
        }
    }

    /// A random free /24 in 10.64.0.0/10 — random so engines starting at once rarely race for the
    /// same one; checked against the host's routes and `used`.
    static func pickFree(used: [IPv4Subnet]) -> IPv4Subnet? {
        let taken = used + hostRoutes()
        for _ in 0..<512 {
            let candidate = IPv4Subnet(base: 0x0A40_0000 | UInt32.random(in: 0..<(1 << 14)) << 8, prefix: 24)
            if !taken.contains(where: { $0.overlaps(candidate) }) { return candidate }
        }
        return nil
    }
}
