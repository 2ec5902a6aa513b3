// PortsColumn: `ps`'s PORTS text as docker's CLI shows it — ports ordered by container port,
// host address, host port and protocol; runs of consecutive ports published on the same port
// number (or only exposed) folded into ranges ("0.0.0.0:8000-8002->8000-8002/tcp",
// "80-81/tcp"); ports published on another host port listed after them, one by one
// ("127.0.0.1:32768->80/tcp").
import API

enum PortsColumn {
    private struct Port {
        let container: Int
        let proto: String
        let hostIP: String
        let host: Int?
    }

    static func text(_ bindings: [Engine_PortBinding]) -> String {
        let ports = bindings.map { binding in
            let parts = binding.containerPort.split(separator: "/", maxSplits: 1)
            return Port(container: Int(parts.first ?? "") ?? 0, proto: parts.count > 1 ? String(parts[1]) : "tcp",
                        hostIP: binding.hostPort.isEmpty ? "" : (binding.hostIp.isEmpty ? "0.0.0.0" : binding.hostIp),
                        host: binding.hostPort.isEmpty ? nil : Int(binding.hostPort))
        }.sorted { a, b in
            (a.container, a.hostIP, a.host ?? 0, a.proto) < (b.container, b.hostIP, b.host ?? 0, b.proto)
        }
        var runs: [(key: String, hostIP: String, proto: String, first: Int, last: Int)] = []
        var finished: [String] = []
        var mapped: [String] = []
        for port in ports {
            if let host = port.host, host != port.container {
                mapped.append("\(address(port.hostIP)):\(host)->\(port.container)/\(port.proto)")
                continue
            }
            let key = port.hostIP + "/" + port.proto
            if let index = runs.firstIndex(where: { $0.key == key }) {
                if runs[index].last + 1 == port.container {
                    runs[index].last = port.container
                    continue
                }
                finished.append(format(runs[index]))
                runs[index].first = port.container
                runs[index].last = port.container
            } else {
                runs.append((key, port.hostIP, port.proto, port.container, port.container))
            }
        }
        return (finished + runs.map(format) + mapped).joined(separator: ", ")
    }

    private static func format(_ run: (key: String, hostIP: String, proto: String, first: Int, last: Int)) -> String {
        let range = run.first == run.last ? "\(run.first)" : "\(run.first)-\(run.last)"
        return (run.hostIP.isEmpty ? range : "\(address(run.hostIP)):\(range)->\(range)") + "/" + run.proto
    }

    /// IPv6 addresses in brackets, as in a URL.
    private static func address(_ ip: String) -> String { ip.contains(":") ? "[\(ip)]" : ip }
}
