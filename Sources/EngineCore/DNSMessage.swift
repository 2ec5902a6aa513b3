// DNSMessage: the little of RFC 1035 the engine's network resolver needs — a query's header and
// its one question read from untrusted bytes (every length checked against the buffer, labels
// ≤ 63 bytes, names ≤ 255, compression pointers only backwards and at most 16 of them, so no
// packet loops or reads out of bounds), and the replies built from it: A answers (cut to what
// fits in 512 bytes over UDP, with TC set), a PTR answer, an empty NOERROR (the name exists, not
// with that type), NXDOMAIN, SERVFAIL, REFUSED, NOTIMP, FORMERR. Forwarded queries and their
// replies pass through as bytes (DNSForwarder).

/// A reply code of RFC 1035 §4.1.1.
public enum DNSResponseCode: UInt8, Sendable {
    case noError = 0, formatError = 1, serverFailure = 2, nameError = 3, notImplemented = 4, refused = 5
}

/// Why bytes are not a query the resolver can answer.
public enum DNSMessageError: Error, Equatable, Sendable {
    case truncated(at: Int)
    case notAQuery
    case questionCount(Int)
    case nameTooLong
    case badPointer(at: Int)
    case tooManyPointers
    case reservedLabelType(UInt8)
}

/// One query: its header fields, its question, and the question's bytes as they came (echoed in
/// the reply, without compression).
public struct DNSQuery: Equatable, Sendable {
    public static let typeA: UInt16 = 1, typePTR: UInt16 = 12, typeAAAA: UInt16 = 28, typeANY: UInt16 = 255, classIN: UInt16 = 1

    public let id: UInt16
    /// The second header word: QR, opcode, AA, TC, RD, RA, Z, RCODE.
    public let flags: UInt16
    /// The name's labels as they came (case kept).
    public let labels: [[UInt8]]
    public let type: UInt16
    public let qclass: UInt16

    public var opcode: UInt8 { UInt8(flags >> 11 & 0xF) }
    public var recursionDesired: Bool { flags & 0x0100 != 0 }

    /// The name lowercased (ASCII), labels joined by dots, no trailing dot; "" for the root.
    public var name: String {
        labels.map { label in String(decoding: label.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self) }
            .joined(separator: ".")
    }

    /// Reads a query: a 12-byte header with QR clear and exactly one question. Answer, authority
    /// and additional records (an EDNS OPT) are ignored.
    public static func parse(_ bytes: [UInt8]) throws(DNSMessageError) -> DNSQuery {
        guard bytes.count >= 12 else { throw .truncated(at: bytes.count) }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        guard flags & 0x8000 == 0 else { throw .notAQuery }
        let questions = Int(bytes[4]) << 8 | Int(bytes[5])
        guard questions == 1 else { throw .questionCount(questions) }
        let (labels, end) = try readName(bytes, at: 12)
        guard end + 4 <= bytes.count else { throw .truncated(at: end) }
        let type = UInt16(bytes[end]) << 8 | UInt16(bytes[end + 1])
        let qclass = UInt16(bytes[end + 2]) << 8 | UInt16(bytes[end + 3])
        return DNSQuery(id: id, flags: flags, labels: labels, type: type, qclass: qclass)
    }

    /// The labels of the name at `start` and the offset just past it (past its first pointer,
    /// when it has one).
    public static func readName(_ bytes: [UInt8], at start: Int) throws(DNSMessageError) -> ([[UInt8]], Int) {
        var labels: [[UInt8]] = []
        var offset = start
        var end: Int?
        var length = 1  // the root's zero byte
        var pointers = 0
        while true {
            guard offset < bytes.count else { throw .truncated(at: offset) }
            let byte = bytes[offset]
            switch byte & 0xC0 {
            case 0xC0:
                guard offset + 1 < bytes.count else { throw .truncated(at: offset) }
                let target = Int(byte & 0x3F) << 8 | Int(bytes[offset + 1])
                // Only backwards, into what was read before: no loops, no forward references.
                guard target < offset, target >= 12 else { throw .badPointer(at: offset) }
                pointers += 1
                guard pointers <= 16 else { throw .tooManyPointers }
                if end == nil { end = offset + 2 }
                offset = target
            case 0x00:
                let count = Int(byte)
                if count == 0 { return (labels, end ?? offset + 1) }
                guard offset + 1 + count <= bytes.count else { throw .truncated(at: offset) }
                length += count + 1
                guard length <= 255 else { throw .nameTooLong }
                labels.append(Array(bytes[(offset + 1)...(offset + count)]))
                offset += 1 + count
            default:
                throw .reservedLabelType(byte)
            }
        }
    }

    /// The reply header and the question echoed; `addresses` as A records (4 bytes each), TTL
    /// `ttl`, as many as fit in `limit` bytes (UDP without EDNS: 512) — TC set when some did not.
    public func reply(_ code: DNSResponseCode, addresses: [[UInt8]] = [], ttl: UInt32 = 600, limit: Int = 65535) -> [UInt8] {
        let valid = addresses.filter { $0.count == 4 }
        let room = max(0, (limit - 12 - labels.reduce(1) { $0 + 1 + $1.count } - 4) / 16)
        let records = Array(valid.prefix(room))
        // QR, the opcode and RD kept, RA set, AA set for the names the engine answers itself.
        let authoritative: UInt16 = code == .noError || code == .nameError ? 0x0400 : 0
        let truncated: UInt16 = records.count < valid.count ? 0x0200 : 0
        let replyFlags = 0x8000 | flags & 0x7900 | authoritative | truncated | 0x0080 | UInt16(code.rawValue)
        var out: [UInt8] = []
        out.reserveCapacity(64 + records.count * 16)
        Self.append16(&out, id)
        Self.append16(&out, replyFlags)
        Self.append16(&out, 1)
        Self.append16(&out, UInt16(records.count))
        Self.append16(&out, 0)
        Self.append16(&out, 0)
        for label in labels {
            out.append(UInt8(label.count))
            out += label
        }
        out.append(0)
        Self.append16(&out, type)
        Self.append16(&out, qclass)
        for address in records {
            out += [0xC0, 12]  // the question's name
            Self.append16(&out, Self.typeA)
            Self.append16(&out, Self.classIN)
            Self.append16(&out, UInt16(ttl >> 16))
            Self.append16(&out, UInt16(ttl & 0xFFFF))
            Self.append16(&out, 4)
            out += address
        }
        return out
    }

    /// A reply with one PTR record naming `target` ("name.network"); SERVFAIL when `target` is
    /// no valid name (a label over 63 bytes, more than 255 in all); no record and TC set when it
    /// does not fit in `limit` bytes.
    public func reply(pointingTo target: String, ttl: UInt32 = 600, limit: Int = 65535) -> [UInt8] {
        var rdata: [UInt8] = []
        for label in target.split(separator: ".") {
            guard label.utf8.count <= 63 else { return reply(.serverFailure) }
            rdata.append(UInt8(label.utf8.count))
            rdata += Array(label.utf8)
        }
        rdata.append(0)
        guard rdata.count <= 255 else { return reply(.serverFailure) }
        var out = reply(.noError)
        guard out.count + 12 + rdata.count <= limit else {
            out[2] |= 0x02
            return out
        }
        out[7] = 1  // one answer
        out += [0xC0, 12]
        Self.append16(&out, Self.typePTR)
        Self.append16(&out, Self.classIN)
        Self.append16(&out, UInt16(ttl >> 16))
        Self.append16(&out, UInt16(ttl & 0xFFFF))
        Self.append16(&out, UInt16(rdata.count))
        return out + rdata
    }

    /// The IPv4 address a "d.c.b.a.in-addr.arpa" name stands for; nil for any other name.
    public var reverseAddress: String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[4] == "in-addr", parts[5] == "arpa" else { return nil }
        let octets = parts[0..<4].compactMap { UInt8($0) }
        return octets.count == 4 ? octets.reversed().map(String.init).joined(separator: ".") : nil
    }

    /// A header-only reply (FORMERR and the like) to bytes that are no readable query; nil when
    /// they are too short to have an id, or are a reply themselves.
    public static func headerReply(to bytes: [UInt8], code: DNSResponseCode) -> [UInt8]? {
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return nil }
        return [bytes[0], bytes[1], 0x80 | bytes[2] & 0x79, 0x80 | code.rawValue, 0, 0, 0, 0, 0, 0, 0, 0]
    }

    static func append16(_ out: inout [UInt8], _ value: UInt16) {
        out.append(UInt8(value >> 8))
        out.append(UInt8(value & 0xFF))
    }

    /// "a.b.c.d" as 4 bytes; nil when it is no IPv4 address.
    public static func addressBytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        return parts.count == 4 ? parts : nil
    }
}
