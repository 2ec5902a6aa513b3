// EngineNetworkTests: networking through CNI with real packets — two containers on a user
// network reach each other, containers on two networks cannot, a busybox httpd is reached from
// the host's loopback through a published port, --network host sees the host's interfaces, and
// after rm, and after an engine SIGKILL with a container dying meanwhile, no veth, pinned
// namespace, IPAM lease, iptables rule, bridge or chain of the engine's is left. All traffic
// stays on bridges and namespaces the test's engine made, and on loopback.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite(.serialized, .offPool) struct EngineNetworkTests {
    static func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// The host's interface names and the iptables rules (both tables) naming `needles`.
    static func hostState(_ needles: [String]) throws -> (links: Set<String>, rules: [String]) {
        let links = Set((try FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")))
        var rules: [String] = []
        for table in ["filter", "nat"] {
            let out = try run("/usr/sbin/iptables-save", ["-t", table])
            rules += out.split(separator: "\n").map(String.init).filter { line in needles.contains { line.contains($0) } }
        }
        return (links, rules)
    }

    /// Host links (veths) whose master is one of `bridges` (other tests' links are not ours to count).
    static func linksAttached(to bridges: [String]) -> [String] {
        let links = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? []
        return links.filter { link in
            guard let master = try? FileManager.default.destinationOfSymbolicLink(atPath: "/sys/class/net/\(link)/master") else { return false }
            return bridges.contains((master as NSString).lastPathComponent)
        }
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// GET / from 127.0.0.1:port over a raw socket; the response, or "" when nothing answered.
    static func httpGet(port: UInt16) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "" }
        let request = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    func ip(_ h: EngineHarness, _ container: String) async throws -> String {
        Self.trimmed(try await h.berth(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", container]).out)
    }

    @Test func containersOnOneNetworkReachEachOtherAndNotOtherNetworks() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["network", "create", "front"]).status == 0)
            #expect(try await h.berth(["network", "create", "back", "--subnet", "10.99.\(Int.random(in: 0...255)).0/24"]).status == 0)
            let ls = try await h.berth(["network", "ls"]).out
            #expect(ls.hasPrefix("NETWORK ID     NAME"), "\(ls)")
            for name in ["bridge", "host", "none", "front", "back"] { #expect(ls.contains(" \(name) "), "\(ls)") }
            #expect(try await h.berth(["run", "-d", "--name", "pinged", "--network", "front", "busybox", "sleep", "300"]).status == 0)
            let target = try await ip(h, "pinged")
            #expect(!target.isEmpty)
            let same = try await h.berth(["run", "--rm", "--network", "front", "busybox", "ping", "-c1", "-W2", target])
            #expect(same.status == 0, "\(same.out)\(same.err)")
            let other = try await h.berth(["run", "--rm", "--network", "back", "busybox", "ping", "-c1", "-W2", target])
            #expect(other.status != 0, "a container on another network reached \(target): \(other.out)")
            let inspect = try await h.berth(["network", "inspect", "-f", "{{.Name}} {{.Driver}}", "front"]).out
            #expect(inspect == "front bridge\n")
            #expect(try await h.berth(["network", "rm", "front"]).status != 0)  // a running container uses it
        }
    }

    @Test func connectDisconnectAndSharingAContainersNetwork() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["network", "create", "extra"]).status == 0)
            #expect(try await h.berth(["run", "-d", "--name", "multi", "busybox", "sleep", "300"]).status == 0)
            #expect(try await h.berth(["network", "connect", "extra", "multi"]).status == 0)
            let extraIP = Self.trimmed(try await h.berth(["inspect", "-f", "{{.NetworkSettings.Networks.extra.IPAddress}}", "multi"]).out)
            #expect(!extraIP.isEmpty)
            let reach = try await h.berth(["run", "--rm", "--network", "extra", "busybox", "ping", "-c1", "-W2", extraIP])
            #expect(reach.status == 0, "\(reach.out)\(reach.err)")
            let inside = try await h.berth(["exec", "multi", "ls", "/sys/class/net"]).out
            #expect(inside.contains("eth1"), "\(inside)")
            // container:ID joins multi's namespace: the same addresses.
            let shared = try await h.berth(["run", "--rm", "--network", "container:multi", "busybox", "ip", "-o", "-4", "addr"])
            #expect(shared.out.contains(extraIP), "\(shared.out)\(shared.err)")
            #expect(try await h.berth(["network", "disconnect", "extra", "multi"]).status == 0)
            let after = try await h.berth(["exec", "multi", "ls", "/sys/class/net"]).out
            #expect(!after.contains("eth1"), "\(after)")
            #expect(try await h.berth(["network", "rm", "extra"]).status == 0)
        }
    }

    @Test func aPublishedPortAnswersOnTheHostLoopback() async throws {
        try await withEngine { h in
            let run = try await h.berth(["run", "-d", "--name", "web", "-p", "127.0.0.1::80", "busybox", "sh", "-c",
                                         "mkdir -p /www && echo hello-from-berth > /www/index.html && exec httpd -f -p 80 -h /www"])
            #expect(run.status == 0, "\(run.err)")
            let port = try await h.berth(["port", "web", "80"]).out
            let hostPort = UInt16(port.split(separator: ":").last.map { Self.trimmed(String($0)) } ?? "") ?? 0
            #expect(hostPort > 0, "port: \(port)")
            var response = ""
            let answered = await eventually(timeout: .seconds(10)) {
                response = (try? await offPool { Self.httpGet(port: hostPort) }) ?? ""
                return response.contains("hello-from-berth")
            }
            #expect(answered, "response: \(response)")
            let all = try await h.berth(["port", "web"]).out
            #expect(all == "80/tcp -> 127.0.0.1:\(hostPort)\n")
        }
    }

    @Test func hostNetworkSeesTheHostsInterfaces() async throws {
        try await withEngine { h in
            // Not the bridges and veths other tests make and remove meanwhile.
            let host = try FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")
                .filter { $0 != "lo" && !$0.hasPrefix("bb-") && !$0.hasPrefix("veth") }
            let result = try await h.berth(["run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net"])
            #expect(result.status == 0, "\(result.err)")
            let inside = Set(result.out.split(whereSeparator: { $0 == "\n" || $0 == " " || $0 == "\t" }).map(String.init))
            #expect(!host.isEmpty && host.allSatisfy { inside.contains($0) }, "host: \(host), container: \(inside)")
            let none = try await h.berth(["run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"])
            #expect(Self.trimmed(none.out) == "lo")
        }
    }

    @Test func etcFilesCarryTheAddressAndDNSOptions() async throws {
        try await withEngine { h in
            let result = try await h.berth(["run", "--rm", "--hostname", "box", "--add-host", "db:10.1.2.3", "--dns", "192.0.2.53",
                                            "--dns-search", "example.test", "busybox", "sh", "-c",
                                            "cat /etc/hosts /etc/resolv.conf; ip -o -4 addr show eth0"])
            #expect(result.status == 0, "\(result.err)")
            let address = result.out.split(separator: "\n").last?.split(separator: " ").first { $0.contains("/") }?.split(separator: "/").first
            #expect(address != nil)
            if let address { #expect(result.out.contains("\(address)\tbox\n"), "\(result.out)") }
            #expect(result.out.contains("10.1.2.3\tdb\n"))
            #expect(result.out.contains("nameserver 192.0.2.53\n") && result.out.contains("search example.test\n"), "\(result.out)")
        }
    }

    @Test func nothingIsLeftAfterRmOrAfterAnEngineCrash() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["network", "create", "scratch"]).status == 0)
            let bridges = h.networkRecords().compactMap { $0.options["com.docker.network.bridge.name"] }
            let leases = { (try? FileManager.default.subpathsOfDirectory(atPath: "\(h.work)/data/networks/ipam"))?
                .filter { $0.split(separator: "/").count == 2 && $0.split(separator: "/").last?.first?.isNumber == true } ?? [] }

            // rm -f of a running container with a published port.
            let id = Self.trimmed(try await h.berth(["run", "-d", "--network", "scratch", "-p", "0:80", "busybox", "sleep", "300"]).out)
            let during = try Self.hostState([id])
            #expect(!during.rules.isEmpty, "no CNI rule names the container")
            #expect(!leases().isEmpty)
            #expect(FileManager.default.fileExists(atPath: "\(h.work)/run/netns/\(id)"))
            #expect(try await h.berth(["rm", "-f", id]).status == 0)
            var after = try Self.hostState([id])
            #expect(after.rules.isEmpty, "\(after.rules)")
            #expect(leases().isEmpty, "\(leases())")
            #expect(!FileManager.default.fileExists(atPath: "\(h.work)/run/netns/\(id)"))
            #expect(Self.linksAttached(to: bridges).isEmpty, "\(Self.linksAttached(to: bridges))")

            // The engine dies; the container dies while it is down; the restarted engine releases it all.
            let crashed = Self.trimmed(try await h.berth(["run", "-d", "--network", "scratch", "-p", "0:80", "busybox", "sleep", "300"]).out)
            let pid = Int32(Self.trimmed(try await h.berth(["inspect", "-f", "{{.State.Pid}}", crashed]).out)) ?? 0
            #expect(pid > 0)
            h.killEngine()
            kill(pid, SIGKILL)
            #expect(await eventually(timeout: .seconds(20)) { kill(pid, 0) != 0 })
            try await h.start()
            let released = try await eventually(timeout: .seconds(20)) {
                try Self.hostState([crashed]).rules.isEmpty && leases().isEmpty
                    && !FileManager.default.fileExists(atPath: "\(h.work)/run/netns/\(crashed)")
            }
            let left = try Self.hostState([crashed]).rules
            #expect(released, "rules: \(left), leases: \(leases())")
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}}", crashed]).out == "exited\n")
            #expect(Self.linksAttached(to: bridges).isEmpty, "\(Self.linksAttached(to: bridges))")
            #expect(try await h.berth(["rm", crashed]).status == 0)

            // network rm takes the bridge and its chain.
            let scratchBridge = h.networkRecords().first { $0.name == "scratch" }?.options["com.docker.network.bridge.name"] ?? ""
            #expect(try await h.berth(["network", "rm", "scratch"]).status == 0)
            after = try Self.hostState([scratchBridge])
            #expect(after.rules.isEmpty && !after.links.contains(scratchBridge), "\(after)")
        }
    }
}
