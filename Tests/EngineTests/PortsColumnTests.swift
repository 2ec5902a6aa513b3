// PortsColumnTests: `ps`'s PORTS text in docker's CLI shape — single ports, folded runs of
// consecutive ports, ports published elsewhere listed last, exposed-only ports, IPv6 brackets.
import API
@testable import BerthCLI
import TestSupport
import Testing

@Suite(.offPool) struct PortsColumnTests {
    static func port(_ container: String, _ hostIP: String = "", _ host: String = "") -> Engine_PortBinding {
        var binding = Engine_PortBinding()
        binding.containerPort = container
        binding.hostIp = hostIP
        binding.hostPort = host
        return binding
    }

    @Test func portsAreShownAsDockerShowsThem() {
        #expect(PortsColumn.text([]) == "")
        #expect(PortsColumn.text([Self.port("80/tcp", "0.0.0.0", "8080")]) == "0.0.0.0:8080->80/tcp")
        #expect(PortsColumn.text([Self.port("80/tcp", "0.0.0.0", "80")]) == "0.0.0.0:80->80/tcp")
        #expect(PortsColumn.text([Self.port("53/udp")]) == "53/udp")
        // Published elsewhere: after the rest, whatever their numbers.
        #expect(PortsColumn.text([Self.port("80/tcp", "127.0.0.1", "32768"), Self.port("443/tcp")])
            == "443/tcp, 127.0.0.1:32768->80/tcp")
        // Runs of the same address and protocol fold; a gap starts a new run.
        let run = ["8000", "8001", "8002", "8004"].map { Self.port("\($0)/tcp", "0.0.0.0", $0) }
        #expect(PortsColumn.text(run.reversed()) == "0.0.0.0:8000-8002->8000-8002/tcp, 0.0.0.0:8004->8004/tcp")
        #expect(PortsColumn.text([Self.port("81/tcp"), Self.port("80/tcp"), Self.port("80/udp")]) == "80-81/tcp, 80/udp")
        #expect(PortsColumn.text([Self.port("80/tcp", "::", "8080")]) == "[::]:8080->80/tcp")
    }
}
