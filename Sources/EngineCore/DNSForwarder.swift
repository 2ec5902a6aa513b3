// DNSForwarder: the network resolver's way out — a query for a name that is not a container's is
// sent as it came to the upstream resolvers (the host's /etc/resolv.conf nameservers minus
// loopback ones, or the querying container's --dns), one after the other over UDP from the
// host's network namespace, each given `timeout`; the first reply carrying the query's id is
// passed back as it came. Blocking: the resolver runs it on a thread of its own.
import Foundation
import Glibc

enum DNSForwarder {
    /// The IPv4 nameservers of a resolv.conf text, loopback ones left out (a container cannot
    /// reach the host's 127.0.0.53, nor can the engine use a resolver that loops back to itself).
    static func upstreams(resolvConf text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver", let bytes = DNSQuery.addressBytes(String(fields[1])),
                  bytes[0] != 127 else { return nil }
            return String(fields[1])
        }
    }

    /// The first upstream's reply to `query`, or nil when none answered in time.
    static func forward(_ query: [UInt8], to upstreams: [String], timeout: Duration = .seconds(2)) -> [UInt8]? {
        guard query.count >= 12 else { return nil }
        for upstream in upstreams.prefix(3) {
            if let reply = exchange(query, with: upstream, timeout: timeout) { return reply }
        }
        return nil
    }

    private static func exchange(_ query: [UInt8], with upstream: String, timeout: Duration) -> [UInt8]? {
        guard let bytes = DNSQuery.addressBytes(upstream) else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(53).bigEndian
        address.sin_addr.s_addr = (UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0, send(fd, query, query.count, 0) == query.count else { return nil }
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65535)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return nil }
            let millis = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, millis)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return nil }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count >= 12 else { return nil }  // an ICMP refusal (ECONNREFUSED) or junk
            // Only the reply to this query (same id, QR set); anything else is dropped.
            if buffer[0] == query[0] && buffer[1] == query[1] && buffer[2] & 0x80 != 0 { return Array(buffer[0..<count]) }
        }
    }
}
