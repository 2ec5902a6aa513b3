// EngineDNSTests: container names on user-defined networks, with real packets — containers ping
// and nslookup each other by name, --network-alias, `network connect --alias` and short id, and
// addresses back to NAME.NETWORK; a container on another network gets NXDOMAIN; the server
// answers over TCP too, and on an --internal network; the default bridge has no server; after
// `network rm` nothing listens on the gateway's port 53; after an engine SIGKILL and restart
// names still resolve; other names go to the container's --dns (a stand-in upstream the test
// runs on its engine's default bridge address). And `ps`'s PORTS and NETWORKS. All traffic stays
// on the test engine's bridges and namespaces.
import API
@testable import EngineCore
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct EngineDNSTests {
    static func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// The gateway address of the test engine's network `name`.
    static func gateway(_ h: EngineHarness, _ name: String) -> String {
        h.networkRecords().first { $0.name == name }?.ipam.first?.gateway ?? ""
    }

    /// Whether a socket in the host's namespace is bound to address:53 — UDP (any state) or TCP
    /// (listening), from /proc/net/{udp,tcp} (addresses in host byte order, hex).
    static func listening(on address: String) -> (udp: Bool, tcp: Bool) {
        let octets = address.split(separator: ".").compactMap { UInt8($0) }
        guard octets.count == 4 else { return (false, false) }
        let local = String(format: "%02X%02X%02X%02X:0035", octets[3], octets[2], octets[1], octets[0])
        func bound(_ file: String, state: String?) -> Bool {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").dropFirst().contains { line in
                let fields = line.split(separator: " ")
                return fields.count > 3 && fields[1] == local && (state == nil || fields[3] == state!)
            }
        }
        return (bound("/proc/net/udp", state: nil), bound("/proc/net/tcp", state: "0A"))
    }

    /// The addresses of A records in a reply to a query for `name` sent over TCP to address:53
    /// from the host; nil when nothing answered.
    static func tcpLookup(_ name: String, at address: String) -> [String]? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = UInt16(53).bigEndian
        guard inet_pton(AF_INET, address, &sa.sin_addr) == 1 else { return nil }
        let connected = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var query: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") { query += [UInt8(label.utf8.count)] + Array(label.utf8) }
        query += [0, 0, 1, 0, 1]
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        guard send(fd, framed, framed.count, 0) == framed.count else { return nil }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while reply.count < 2 || reply.count < 2 + (Int(reply[0]) << 8 | Int(reply[1])) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return nil }
            reply += buffer[0..<count]
        }
        // Header (12) after the length (2), the question echoed, then 16-byte A records.
        let message = Array(reply[2...])
        guard message.count >= 12, message[0] == 0xAB, message[1] == 0xCD else { return nil }
        let answers = Int(message[6]) << 8 | Int(message[7])
        let questionEnd = query.count  // the reply echoes the question as it was sent
        return (0..<answers).compactMap { index in
            let start = questionEnd + index * 16
            guard start + 16 <= message.count else { return nil }
            return message[(start + 12)..<(start + 16)].map(String.init).joined(separator: ".")
        }
    }

    /// A stand-in upstream resolver: a UDP socket on address:53 answering every A query with
    /// `answer`, until `stop` is set; the number of queries it answered.
    final class FakeUpstream: @unchecked Sendable {
        let fd: Int32
        private let lock = NSLock()
        private var stopped = false
        private var answered = 0
        var count: Int { lock.withLock { answered } }

        init?(address: String, answer: [UInt8]) {
            fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return nil }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IP), IP_FREEBIND, &one, socklen_t(MemoryLayout<Int32>.size))
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = UInt16(53).bigEndian
            let bound = inet_pton(AF_INET, address, &sa.sin_addr) == 1 && withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
            guard bound else { close(fd); return nil }
            Thread { [self] in serve(answer) }.start()
        }

        private func serve(_ answer: [UInt8]) {
            var buffer = [UInt8](repeating: 0, count: 1500)
            while !lock.withLock({ stopped }) {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 100) > 0 else { continue }
                var from = sockaddr_storage()
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let count = withUnsafeMutablePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
                }
                guard count > 0, let query = try? DNSQuery.parse(Array(buffer[0..<count])) else { continue }
                let reply = query.reply(.noError, addresses: query.type == DNSQuery.typeA ? [answer] : [])
                _ = withUnsafePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply, reply.count, 0, $0, length) }
                }
                lock.withLock { answered += 1 }
            }
            close(fd)
        }

        func stop() { lock.withLock { stopped = true } }
    }

    func ip(_ h: EngineHarness, _ container: String, on network: String) async throws -> String {
        Self.trimmed(try await h.berth(["inspect", "-f", "{{.NetworkSettings.Networks.\(network).IPAddress}}", container]).out)
    }

    @Test func containersFindEachOtherByNameOnTheirNetworkOnly() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["network", "create", "names"]).status == 0)
            #expect(try await h.berth(["network", "create", "elsewhere"]).status == 0)
            #expect(try await h.berth(["run", "-d", "--name", "alpha", "--network", "names", "--network-alias", "web",
                                       "busybox", "sleep", "300"]).status == 0)
            let beta = Self.trimmed(try await h.berth(["run", "-d", "--name", "beta", "--network", "names", "busybox", "sleep", "300"]).out)
            let alphaIP = try await ip(h, "alpha", on: "names"), betaIP = try await ip(h, "beta", on: "names")
            #expect(!alphaIP.isEmpty && !betaIP.isEmpty)
            let gateway = Self.gateway(h, "names")
            let resolv = try await h.berth(["exec", "beta", "cat", "/etc/resolv.conf"]).out
            #expect(resolv.contains("nameserver \(gateway)\n") && resolv.components(separatedBy: "nameserver").count == 2, "\(resolv)")

            let byName = try await h.berth(["exec", "beta", "ping", "-c1", "-W2", "alpha"])
            #expect(byName.status == 0 && byName.out.contains(alphaIP), "\(byName.out)\(byName.err)")
            let byID = try await h.berth(["exec", "alpha", "ping", "-c1", "-W2", String(beta.prefix(12))])
            #expect(byID.status == 0 && byID.out.contains(betaIP), "\(byID.out)\(byID.err)")
            let alias = try await h.berth(["exec", "beta", "nslookup", "web"])
            #expect(alias.status == 0 && alias.out.contains("Address: \(alphaIP)"), "\(alias.out)\(alias.err)")
            let qualified = try await h.berth(["exec", "beta", "nslookup", "alpha.names"])
            #expect(qualified.out.contains("Address: \(alphaIP)"), "\(qualified.out)\(qualified.err)")
            let reverse = try await h.berth(["exec", "beta", "nslookup", alphaIP])
            #expect(reverse.out.contains("name = alpha.names"), "\(reverse.out)\(reverse.err)")
            // A container that is just starting (run --rm) resolves too.
            let fresh = try await h.berth(["run", "--rm", "--network", "names", "busybox", "ping", "-c1", "-W2", "WEB"])
            #expect(fresh.status == 0, "\(fresh.out)\(fresh.err)")
            // Over TCP, from the host (the bridge has the gateway address now).
            let tcp = await (try? offPool { Self.tcpLookup("alpha", at: gateway) }) ?? nil
            #expect(tcp == [alphaIP], "\(String(describing: tcp))")

            // Another network: its own server, which knows nothing of "names".
            let other = try await h.berth(["run", "--rm", "--network", "elsewhere", "busybox", "nslookup", "alpha"])
            #expect(other.status != 0 && (other.out + other.err).contains("NXDOMAIN"), "\(other.out)\(other.err)")
            let otherPing = try await h.berth(["run", "--rm", "--network", "elsewhere", "busybox", "ping", "-c1", "-W2", "alpha"])
            #expect(otherPing.status != 0, "\(otherPing.out)")
            // network connect --alias: alpha joins "elsewhere" under another name.
            #expect(try await h.berth(["network", "connect", "--alias", "second", "elsewhere", "alpha"]).status == 0)
            let alphaElsewhere = try await ip(h, "alpha", on: "elsewhere")
            let joined = try await h.berth(["run", "--rm", "--network", "elsewhere", "busybox", "nslookup", "second"])
            #expect(joined.status == 0 && joined.out.contains("Address: \(alphaElsewhere)") && !joined.out.contains(alphaIP),
                    "\(joined.out)\(joined.err)")

            // An --internal network reaches nothing outside, but its names resolve.
            #expect(try await h.berth(["network", "create", "--internal", "sealed"]).status == 0)
            #expect(try await h.berth(["run", "-d", "--name", "gamma", "--network", "sealed", "busybox", "sleep", "300"]).status == 0)
            let sealed = try await h.berth(["run", "--rm", "--network", "sealed", "busybox", "ping", "-c1", "-W2", "gamma"])
            #expect(sealed.status == 0, "\(sealed.out)\(sealed.err)")

            // The default bridge: no server on its gateway, the host's resolvers in resolv.conf.
            let bridgeGateway = Self.gateway(h, "bridge")
            let refused = try await h.berth(["run", "--rm", "--network-alias", "nope", "busybox", "true"])
            #expect(refused.status == 125 && refused.err.contains("only supported for user-defined networks"), "\(refused.err)")
            let plain = try await h.berth(["run", "--rm", "busybox", "cat", "/etc/resolv.conf"]).out
            #expect(!bridgeGateway.isEmpty && !plain.contains(bridgeGateway), "\(plain)")
            #expect(Self.listening(on: bridgeGateway) == (false, false))
        }
    }

    @Test func theServerStopsWithItsNetworkAndComesBackAfterAnEngineCrash() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["network", "create", "brief"]).status == 0)
            let briefGateway = Self.gateway(h, "brief")
            #expect(Self.listening(on: briefGateway) == (true, true))
            #expect(try await h.berth(["network", "rm", "brief"]).status == 0)
            #expect(Self.listening(on: briefGateway) == (false, false))

            #expect(try await h.berth(["network", "create", "lasting"]).status == 0)
            #expect(try await h.berth(["run", "-d", "--name", "one", "--network", "lasting", "busybox", "sleep", "300"]).status == 0)
            #expect(try await h.berth(["run", "-d", "--name", "two", "--network", "lasting", "busybox", "sleep", "300"]).status == 0)
            let oneIP = try await ip(h, "one", on: "lasting"), lastingGateway = Self.gateway(h, "lasting")
            h.killEngine()
            try await h.start()
            #expect(Self.listening(on: lastingGateway) == (true, true))
            let after = try await h.berth(["exec", "two", "ping", "-c1", "-W2", "one"])
            #expect(after.status == 0 && after.out.contains(oneIP), "\(after.out)\(after.err)")
            #expect(try await h.berth(["rm", "-f", "one", "two"]).status == 0)
            #expect(try await h.berth(["network", "rm", "lasting"]).status == 0)
            #expect(Self.listening(on: lastingGateway) == (false, false))
        }
    }

    @Test func otherNamesGoToTheContainersUpstream() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["network", "create", "outbound"]).status == 0)
            // A container on the default bridge puts its gateway address on the engine's bridge.
            #expect(try await h.berth(["run", "-d", "--name", "anchor", "busybox", "sleep", "300"]).status == 0)
            let upstreamAddress = Self.gateway(h, "bridge")
            let upstream = try #require(FakeUpstream(address: upstreamAddress, answer: [192, 0, 2, 7]))
            defer { upstream.stop() }
            let result = try await h.berth(["run", "--rm", "--network", "outbound", "--dns", upstreamAddress, "busybox", "sh", "-c",
                                            "cat /etc/resolv.conf; nslookup far.example.test"])
            #expect(!result.out.contains("nameserver \(upstreamAddress)"), "\(result.out)")  // the engine's server is asked
            #expect(result.out.contains("Address: 192.0.2.7"), "\(result.out)\(result.err)")
            #expect(upstream.count > 0)
            // Single-label names that are no container's never leave.
            let before = upstream.count
            let single = try await h.berth(["run", "--rm", "--network", "outbound", "--dns", upstreamAddress, "busybox", "nslookup", "nobody"])
            #expect(single.status != 0 && (single.out + single.err).contains("NXDOMAIN"), "\(single.out)\(single.err)")
            #expect(upstream.count == before)
        }
    }

    @Test func psShowsPortsAndNetworks() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["run", "-d", "--name", "pub", "-p", "127.0.0.1::80", "--expose", "443",
                                       "busybox", "sleep", "300"]).status == 0)
            let port = Self.trimmed(try await h.berth(["port", "pub", "80"]).out)
            #expect(port.hasPrefix("127.0.0.1:"), "\(port)")
            let ports = try await h.berth(["ps", "--filter", "name=pub", "--format", "{{.Ports}}|{{.Networks}}"]).out
            #expect(ports == "443/tcp, \(port)->80/tcp|bridge\n", "\(ports)")  // docker's order
            let table = try await h.berth(["ps"]).out
            #expect(table.contains("PORTS") && table.contains("443/tcp, \(port)->80/tcp"), "\(table)")
            #expect(try await h.berth(["stop", "-t", "0", "pub"]).status == 0)
            let stopped = try await h.berth(["ps", "-a", "--filter", "name=pub", "--format", "{{.Ports}}|{{.Networks}}"]).out
            #expect(stopped == "|bridge\n", "\(stopped)")
            let host = try await h.berth(["run", "-d", "--name", "onhost", "--network", "host", "busybox", "sleep", "300"])
            #expect(host.status == 0)
            #expect(try await h.berth(["ps", "--filter", "name=onhost", "--format", "{{.Networks}}"]).out == "host\n")
        }
    }
}
