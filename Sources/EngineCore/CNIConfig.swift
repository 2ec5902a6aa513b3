// CNIConfig: the CNI plugin chain of one berth network for one container — bridge (the
// network's Linux bridge as gateway, hairpin mode, masquerade unless --internal) with host-local
// IPAM whose leases live under the engine's data-root (<data-root>/networks/ipam/<network id>, so
// engines never share leases with each other or the host), then portmap (`snat` so published
// ports answer on the host's loopback) when the container publishes ports. The loopback plugin
// runs separately, on "lo".
import API

enum CNIConfig {
    static let version = "1.0.0"
    static let bridgeOption = "com.docker.network.bridge.name"

    /// One published port as portmap's runtimeConfig.portMappings wants it.
    struct PortMapping: Sendable {
        var hostPort: Int
        var containerPort: Int
        var proto: String
        var hostIP: String
    }

    /// The chain for `network`; `ip` is a requested address (--ip), empty for any.
    static func chain(_ network: Engine_NetworkInspect, ipamDirectory: String, ip: String,
                      ports: [PortMapping]) -> [[String: Any]] {
        let ipam = network.ipam.first ?? Engine_IPAMConfig()
        var range: [String: Any] = ["subnet": ipam.subnet]
        if !ipam.gateway.isEmpty { range["gateway"] = ipam.gateway }
        if !ipam.ipRange.isEmpty, let bounds = IPv4Subnet(ipam.ipRange) {
            range["rangeStart"] = bounds.address(at: 1)
            range["rangeEnd"] = bounds.address(at: bounds.size - 2)
        }
        let ipamConfig: [String: Any] = [
            "type": "host-local", "ranges": [[range]], "dataDir": ipamDirectory,
            "routes": network.internal ? [] : [["dst": "0.0.0.0/0"]],
        ]
        var bridge: [String: Any] = [
            "type": "bridge", "bridge": network.options[bridgeOption] ?? "", "isGateway": true,
            "ipMasq": !network.internal, "hairpinMode": true, "ipam": ipamConfig,
        ]
        if !ip.isEmpty {
            let prefix = ipam.subnet.split(separator: "/").last.map(String.init) ?? "24"
            bridge["args"] = ["cni": ["ips": ["\(ip)/\(prefix)"]]]
        }
        var plugins = [bridge]
        if !ports.isEmpty {
            let mappings: [[String: Any]] = ports.map {
                ["hostPort": $0.hostPort, "containerPort": $0.containerPort, "protocol": $0.proto, "hostIP": $0.hostIP]
            }
            plugins.append(["type": "portmap", "snat": true, "capabilities": ["portMappings": true],
                            "runtimeConfig": ["portMappings": mappings]])
        }
        return plugins
    }

    /// The loopback plugin's config.
    static var loopback: [String: Any] { ["cniVersion": version, "name": "berth-loopback", "type": "loopback"] }

    /// A plugin's stdin: the plugin config plus the chain's name and version, and the previous
    /// plugin's result.
    static func stdin(_ plugin: [String: Any], name: String, previous: [String: Any]?) -> [String: Any] {
        var config = plugin
        config["cniVersion"] = version
        config["name"] = name
        if let previous { config["prevResult"] = previous }
        return config
    }
}
