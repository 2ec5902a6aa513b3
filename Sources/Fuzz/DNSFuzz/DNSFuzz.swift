// Fuzz target `dns`: the network name servers' DNS codec — whatever a container sends to its
// network's gateway port 53 is read as a query, answered (A records within the UDP limit, a PTR
// record, an error), or given a header-only FORMERR; nothing may crash or read out of bounds,
// and every reply must be a well-formed message the parser itself reads back as a reply.
import EngineCore
import FuzzDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let query = try? DNSQuery.parse(bytes) else {
        if let reply = DNSQuery.headerReply(to: bytes, code: .formatError) { precondition(reply.count == 12) }
        return 0
    }
    let addresses = (0..<Int(bytes.last ?? 0) % 40).map { [10, 0, 0, UInt8($0)] }
    for reply in [query.reply(.noError, addresses: addresses, limit: 512), query.reply(.nameError),
                  query.reply(pointingTo: query.name, limit: 512)] {
        precondition(reply.count >= 12 && reply[2] & 0x80 != 0, "a reply without its header")
        precondition(reply.count <= 512, "a UDP reply over 512 bytes")
    }
    _ = query.reverseAddress
    return 0
}

@main
enum DNSFuzzMain {
    static func main() { FuzzDriver.main(fuzz) }
}
