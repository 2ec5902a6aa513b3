// DNSMessageTests: the network resolver's DNS codec on well-formed and malformed packets — a
// query read back, A/NXDOMAIN/NODATA replies laid out as RFC 1035 says, and truncated packets,
// looping or forward compression pointers, over-long labels and names, replies posing as queries,
// random and mutated bytes all refused without a crash; the resolv.conf upstream list.
@testable import EngineCore
import TestSupport
import Testing

@Suite(.offPool) struct DNSMessageTests {
    /// A query for `name`, type `type`, id 0x1234, RD set.
    static func query(_ name: String, type: UInt16 = 1) -> [UInt8] {
        var bytes: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes += Array(label.utf8)
        }
        bytes += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        return bytes
    }

    @Test func aQueryIsReadBack() throws {
        let query = try DNSQuery.parse(Self.query("Web.Front"))
        #expect(query.id == 0x1234)
        #expect(query.name == "web.front")
        #expect(query.labels == [Array("Web".utf8), Array("Front".utf8)])
        #expect(query.type == DNSQuery.typeA && query.qclass == DNSQuery.classIN)
        #expect(query.recursionDesired && query.opcode == 0)
    }

    @Test func anAReplyCarriesTheQuestionAndTheAddresses() throws {
        let query = try DNSQuery.parse(Self.query("db"))
        let reply = query.reply(.noError, addresses: [[10, 1, 2, 3], [10, 1, 2, 4]], ttl: 600)
        #expect(Array(reply[0..<12]) == [0x12, 0x34, 0x85, 0x80, 0, 1, 0, 2, 0, 0, 0, 0])  // QR AA RD RA, 1 question, 2 answers
        let question: [UInt8] = [2, 0x64, 0x62, 0, 0, 1, 0, 1]
        #expect(Array(reply[12..<20]) == question)
        let first: [UInt8] = [0xC0, 12, 0, 1, 0, 1, 0, 0, 0x02, 0x58, 0, 4, 10, 1, 2, 3]
        #expect(Array(reply[20..<36]) == first)
        #expect(Array(reply[36...]) == [0xC0, 12, 0, 1, 0, 1, 0, 0, 0x02, 0x58, 0, 4, 10, 1, 2, 4])
        // The reply is not itself a query.
        #expect(throws: DNSMessageError.notAQuery) { try DNSQuery.parse(reply) }
    }

    @Test func answersBeyondTheUDPLimitAreCutWithTC() throws {
        let query = try DNSQuery.parse(Self.query("many"))
        let addresses = (0..<100).map { [10, 0, 0, UInt8($0)] }
        let udp = query.reply(.noError, addresses: addresses, limit: 512)
        #expect(udp.count <= 512 && udp[2] & 0x02 != 0)
        #expect(Int(udp[6]) << 8 | Int(udp[7]) == (512 - 12 - 6 - 4) / 16)
        let tcp = query.reply(.noError, addresses: addresses)
        #expect(tcp[2] & 0x02 == 0 && tcp[7] == 100 && tcp.count == 12 + 6 + 4 + 100 * 16)
    }

    @Test func nameErrorsAndEmptyAnswersHaveNoRecords() throws {
        let query = try DNSQuery.parse(Self.query("nowhere", type: DNSQuery.typeAAAA))
        let nx = query.reply(.nameError)
        #expect(nx[3] & 0x0F == 3 && nx[7] == 0 && nx.count == 12 + 9 + 4)
        let nodata = query.reply(.noError)
        #expect(nodata[3] & 0x0F == 0 && nodata[7] == 0)
        let refused = query.reply(.refused)
        #expect(refused[2] & 0x04 == 0 && refused[3] & 0x0F == 5)
    }

    @Test func reverseNamesAndPointerReplies() throws {
        let query = try DNSQuery.parse(Self.query("4.3.2.10.in-addr.arpa", type: DNSQuery.typePTR))
        #expect(query.reverseAddress == "10.2.3.4")
        #expect(try DNSQuery.parse(Self.query("4.3.2.in-addr.arpa")).reverseAddress == nil)
        #expect(try DNSQuery.parse(Self.query("4.3.2.300.in-addr.arpa")).reverseAddress == nil)
        let reply = query.reply(pointingTo: "db.front")
        let question = 12 + (2 + 2 + 2 + 3 + 8 + 5 + 1) + 4  // header, the name's labels and root, type and class
        #expect(reply[7] == 1 && reply[3] & 0x0F == 0)
        #expect(Array(reply[question...]) == [0xC0, 12, 0, 12, 0, 1, 0, 0, 0x02, 0x58, 0, 10, 2, 0x64, 0x62, 5, 0x66, 0x72, 0x6F, 0x6E, 0x74, 0])
        // A long name in a long question: no room in 512 bytes, TC set instead.
        let longName = (0..<4).map { _ in String(repeating: "b", count: 60) }.joined(separator: ".")
        let long = try DNSQuery.parse(Self.query(longName, type: DNSQuery.typePTR))
        let cut = long.reply(pointingTo: longName, limit: 512)
        #expect(cut.count <= 512 && cut[2] & 0x02 != 0 && cut[7] == 0)
        #expect(long.reply(pointingTo: longName)[7] == 1)
        let tooLong = query.reply(pointingTo: String(repeating: "a", count: 64))
        #expect(tooLong[3] & 0x0F == 2 && tooLong[7] == 0)
    }

    @Test func compressionPointersBackwardsAreFollowed() throws {
        // Header, then "a" at 12, then a question whose name is "b" + pointer to "a"... but a
        // query has one question: put "x.a" as the question with its tail a pointer back into
        // itself is impossible, so read a name at an offset past a first one.
        var bytes: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        bytes += [1, 0x61, 0]            // "a" at 12
        bytes += [1, 0x78, 0xC0, 12]     // "x" + pointer to 12, at 15
        let (labels, end) = try DNSQuery.readName(bytes, at: 15)
        #expect(labels == [[0x78], [0x61]])
        #expect(end == 19)
    }

    @Test func malformedPacketsAreRefused() {
        let good = Self.query("name")
        // Every truncation of a good query fails cleanly.
        for length in 0..<good.count {
            #expect(throws: DNSMessageError.self) { try DNSQuery.parse(Array(good[0..<length])) }
        }
        var twoQuestions = good
        twoQuestions[5] = 2
        #expect(throws: DNSMessageError.questionCount(2)) { try DNSQuery.parse(twoQuestions) }
        var noQuestion = good
        noQuestion[5] = 0
        #expect(throws: DNSMessageError.questionCount(0)) { try DNSQuery.parse(noQuestion) }
        // A pointer to itself, one forward, one into the header.
        let header: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        #expect(throws: DNSMessageError.badPointer(at: 12)) { try DNSQuery.parse(header + [0xC0, 12, 0, 1, 0, 1]) }
        #expect(throws: DNSMessageError.badPointer(at: 12)) { try DNSQuery.parse(header + [0xC0, 14, 0, 0, 1, 0, 1]) }
        #expect(throws: DNSMessageError.badPointer(at: 12)) { try DNSQuery.parse(header + [0xC0, 2, 0, 1, 0, 1]) }
        // Two pointers to each other: the second one points forward.
        #expect(throws: DNSMessageError.self) { try DNSQuery.readName(header + [0xC0, 14, 0xC0, 12], at: 12) }
        // A label type 0x40 / 0x80, a label of 64 bytes, a name of more than 255.
        #expect(throws: DNSMessageError.reservedLabelType(0x41)) { try DNSQuery.parse(header + [0x41, 0, 0, 1, 0, 1]) }
        #expect(throws: DNSMessageError.reservedLabelType(0x80)) { try DNSQuery.parse(header + [0x80, 0, 0, 1, 0, 1]) }
        #expect(throws: DNSMessageError.self) { try DNSQuery.parse(header + [64] + [UInt8](repeating: 0x61, count: 64) + [0, 0, 1, 0, 1]) }
        let long = (0..<5).flatMap { _ in [63] + [UInt8](repeating: 0x61, count: 63) }
        #expect(throws: DNSMessageError.nameTooLong) { try DNSQuery.parse(header + long + [0, 0, 1, 0, 1]) }
        // A reply gets no reply; junk shorter than a header neither.
        var reply = good
        reply[2] |= 0x80
        #expect(DNSQuery.headerReply(to: reply, code: .formatError) == nil)
        #expect(DNSQuery.headerReply(to: [1, 2, 3], code: .formatError) == nil)
        #expect(DNSQuery.headerReply(to: twoQuestions, code: .formatError) == [0x12, 0x34, 0x81, 0x81, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func pointerChainsAreBounded() {
        // 20 pointers, each to the one before it: more than 16 jumps.
        var bytes: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0]
        var previous = 12
        for _ in 0..<20 {
            let here = bytes.count
            bytes += [0xC0, UInt8(previous)]
            previous = here
        }
        #expect(throws: DNSMessageError.tooManyPointers) { try DNSQuery.readName(bytes, at: previous) }
    }

    @Test func randomBytesNeverCrashTheParser() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...80, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if bytes.count > 5 { bytes[2] &= 0x7F; bytes[4] = 0; bytes[5] = 1 }  // mostly past the header checks
            if let query = try? DNSQuery.parse(bytes) {
                let reply = query.reply(.noError, addresses: [[1, 2, 3, 4]])
                #expect(reply.count >= 12)
            }
        }
    }

    @Test func mutatedQueriesNeverCrashTheParser() {
        // Valid queries (one with a compression pointer) with bytes flipped, cut, repeated.
        var seeds = [Self.query("alpha.front"), Self.query("4.3.2.10.in-addr.arpa", type: DNSQuery.typePTR)]
        seeds.append([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 1, 0x62, 0xC0, 12, 0, 1, 0, 1])
        var generator = SystemRandomNumberGenerator()
        for round in 0..<50_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                case 2: bytes.removeSubrange(at...)
                default: bytes.insert(contentsOf: bytes[at...].prefix(8), at: at)
                }
                if bytes.isEmpty { break }
            }
            if let query = try? DNSQuery.parse(bytes) {
                #expect(query.reply(.noError, addresses: [[1, 2, 3, 4]]).count >= 12 + 5)
                #expect(query.reply(pointingTo: query.name).count >= 12)
            } else {
                _ = DNSQuery.headerReply(to: bytes, code: .formatError)
            }
        }
    }

    @Test func upstreamsLeaveLoopbackOut() {
        let text = "# x\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch example.test\nnameserver ::1\nnameserver 192.0.2.1\n"
        #expect(DNSForwarder.upstreams(resolvConf: text) == ["10.0.0.2", "192.0.2.1"])
    }
}
