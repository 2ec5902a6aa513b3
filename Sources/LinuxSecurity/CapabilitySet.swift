// CapabilitySet: a set of capabilities as the kernel stores it, one bit per capability number,
// printed the way /proc/<pid>/status prints CapEff and friends.
import Errdefs

/// A set of capabilities as a 64-bit mask (bit n = capability n), like the kernel's.
public struct CapabilitySet: Hashable, Sendable, CustomStringConvertible {
    /// The mask: bit n set means capability n is in the set.
    public var bits: UInt64

    /// The set with mask `bits`.
    public init(bits: UInt64 = 0) {
        self.bits = bits
    }

    /// The set holding `capabilities`; numbers outside 0...63 are ignored.
    public init(_ capabilities: some Sequence<Capability>) {
        bits = 0
        for capability in capabilities {
            insert(capability)
        }
    }

    /// Parses the 16-digit hex of /proc/<pid>/status ("000001fffeffffff"); nil if malformed.
    public init?(procStatusHex hex: some StringProtocol) {
        guard !hex.isEmpty, hex.count <= 16, let value = UInt64(hex, radix: 16) else { return nil }
        bits = value
    }

    /// Whether `capability` is in the set.
    public func contains(_ capability: Capability) -> Bool {
        guard (0..<64).contains(capability.rawValue) else { return false }
        return bits & (1 << UInt64(capability.rawValue)) != 0
    }

    /// Adds `capability` (ignored outside 0...63).
    public mutating func insert(_ capability: Capability) {
        guard (0..<64).contains(capability.rawValue) else { return }
        bits |= 1 << UInt64(capability.rawValue)
    }

    /// Removes `capability`.
    public mutating func remove(_ capability: Capability) {
        guard (0..<64).contains(capability.rawValue) else { return }
        bits &= ~(1 << UInt64(capability.rawValue))
    }

    /// The members, lowest number first.
    public var capabilities: [Capability] {
        (0..<64).filter { bits & (1 << UInt64($0)) != 0 }.map { Capability(rawValue: Int32($0)) }
    }

    /// Whether the set is empty.
    public var isEmpty: Bool { bits == 0 }

    /// The mask as /proc/<pid>/status shows it: 16 lowercase hex digits.
    public var procStatusHex: String {
        let digits = String(bits, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public var description: String { procStatusHex }
}
