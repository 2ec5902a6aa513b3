// NetworkCommands: `berth network create|ls|inspect|rm|connect|disconnect|prune` and `berth port`
// with docker's output shapes (network ls: NETWORK ID, NAME, DRIVER, SCOPE; port:
// "80/tcp -> 0.0.0.0:32768"), and the JSON inspect shows for networks and a container's
// NetworkSettings.
import API
import ArgumentParser
import Errdefs
import Foundation

struct NetworkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "Manage networks.",
        subcommands: [NetworkCreateCommand.self, NetworkListCommand.self, NetworkInspectCommand.self, NetworkRemoveCommand.self,
                      NetworkConnectCommand.self, NetworkDisconnectCommand.self, NetworkPruneCommand.self])
}

struct NetworkCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a network.")
    @Option(name: .shortAndLong, help: "Driver to manage the Network (bridge).") var driver = "bridge"
    @Option(help: "Subnet in CIDR format that represents a network segment.") var subnet: String?
    @Option(help: "IPv4 Gateway for the master subnet.") var gateway: String?
    @Option(name: .customLong("ip-range"), help: "Allocate container ip from a sub-range.") var ipRange: String?
    @Flag(help: "Restrict external access to the network.") var `internal` = false
    @Option(help: "Set metadata on a network.") var label: [String] = []
    @Option(name: .shortAndLong, help: "Set driver specific options.") var opt: [String] = []
    @Argument var name: String

    func run() async throws {
        var request = Engine_CreateNetworkRequest()
        request.name = name
        request.driver = driver
        request.internal = self.internal
        if subnet != nil || gateway != nil || ipRange != nil {
            var ipam = Engine_IPAMConfig()
            ipam.subnet = subnet ?? ""
            ipam.gateway = gateway ?? ""
            ipam.ipRange = ipRange ?? ""
            request.ipam = [ipam]
        }
        request.labels = pairs(label)
        request.options = pairs(opt)
        let response = try await withEngine { try await $0.client.createNetwork(request) }
        print(response.id)
    }
}

private func pairs(_ items: [String]) -> [String: String] {
    var result: [String: String] = [:]
    for item in items {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        result[parts[0]] = parts.count > 1 ? parts[1] : ""
    }
    return result
}

struct NetworkListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks.", aliases: ["list"])
    @Flag(name: .shortAndLong, help: "Only display network IDs.") var quiet = false
    @Option(name: .shortAndLong, help: "Provide filter values (e.g. 'driver=bridge').") var filter: [String] = []
    @Option(help: "Format output using a template, or json.") var format: String?
    @Flag(name: .customLong("no-trunc"), help: "Do not truncate the output.") var noTrunc = false

    func run() async throws {
        let filters = filter.map { text in
            var filter = Engine_Filter()
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            filter.key = parts[0]
            filter.value = parts.count > 1 ? parts[1] : ""
            return filter
        }
        let networks = try await withEngine { try await $0.client.listNetworks(filters) }
        let items: [[String: Any]] = networks.map { network in
            ["ID": noTrunc ? network.id : String(network.id.prefix(12)), "Name": network.name, "Driver": network.driver,
             "Scope": network.scope, "Internal": network.internal ? "true" : "false",
             "Labels": network.labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ","),
             "CreatedAt": goTime(network.created.date)]
        }
        if quiet {
            for item in items { print(item["ID"] as? String ?? "") }
            return
        }
        try printFormatted(items, format: format, defaultTable: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
                           headers: ["ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
                                     "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT"])
    }
}

struct NetworkInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more networks.")
    @Option(name: [.customShort("f"), .long], help: "Format output using a template.") var format: String?
    @Argument var names: [String]

    func run() async throws {
        try await withEngine { connection in
            var objects: [[String: Any]] = []
            var failed = false
            for name in names {
                do { objects.append(NetworkJSON.network(try await connection.client.inspectNetwork(name))) } catch let error as CoreError {
                    failed = true
                    FileHandle.standardError.write(Data("Error response from daemon: \(error.message)\n".utf8))
                }
            }
            try printObjects(objects, format: format)
            if failed { throw CLIError(message: "", code: 1) }
        }
    }
}

struct NetworkRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more networks.", aliases: ["remove"])
    @Argument var names: [String]

    func run() async throws {
        try await withEngine { connection in
            var failed = false
            for name in names {
                do {
                    try await connection.client.removeNetwork(name)
                    print(name)
                } catch let error as CoreError {
                    failed = true
                    FileHandle.standardError.write(Data("Error response from daemon: \(error.message)\n".utf8))
                }
            }
            if failed { throw CLIError(message: "", code: 1) }
        }
    }
}

struct NetworkConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "connect", abstract: "Connect a container to a network.")
    @Option(help: "Add network-scoped alias for the container.") var alias: [String] = []
    @Option(help: "IPv4 address (e.g., 172.30.100.104).") var ip: String?
    @Argument var network: String
    @Argument var container: String

    func run() async throws {
        var request = Engine_ConnectNetworkRequest()
        request.network = network
        request.container = container
        request.aliases = alias
        request.ipv4Address = ip ?? ""
        try await withEngine { try await $0.client.connectNetwork(request) }
    }
}

struct NetworkDisconnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disconnect", abstract: "Disconnect a container from a network.")
    @Flag(name: .shortAndLong, help: "Force the container to disconnect from a network.") var force = false
    @Argument var network: String
    @Argument var container: String

    func run() async throws {
        var request = Engine_DisconnectNetworkRequest()
        request.network = network
        request.container = container
        request.force = force
        try await withEngine { try await $0.client.disconnectNetwork(request) }
    }
}

struct NetworkPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all unused networks.")
    @Flag(name: .shortAndLong, help: "Do not prompt for confirmation.") var force = false

    func run() async throws {
        let response = try await withEngine { try await $0.client.pruneNetworks() }
        if !response.deleted.isEmpty { print("Deleted Networks:\n" + response.deleted.joined(separator: "\n")) }
    }
}

struct PortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "List port mappings or a specific mapping for the container.")
    @Argument var container: String
    @Argument var port: String?

    func run() async throws {
        let inspect = try await withEngine { try await $0.client.inspect(container) }
        let wanted = port.map { $0.contains("/") ? $0 : $0 + "/tcp" }
        let bindings = inspect.networkSettings.ports.filter { wanted == nil || $0.containerPort == wanted }
        if let port, bindings.isEmpty {
            throw CLIError(message: "Error: No public port '\(wanted ?? port)' published for \(container)", code: 1)
        }
        for binding in bindings {
            print(wanted == nil ? "\(binding.containerPort) -> \(binding.hostIp):\(binding.hostPort)" : "\(binding.hostIp):\(binding.hostPort)")
        }
    }
}

enum NetworkJSON {
    static func network(_ n: Engine_NetworkInspect) -> [String: Any] {
        [
            "Name": n.name, "Id": n.id, "Created": rfc3339(n.created.date), "Scope": n.scope, "Driver": n.driver,
            "EnableIPv6": false, "Internal": n.internal, "Attachable": false, "Ingress": false,
            "IPAM": ["Driver": "default", "Options": [String: Any](),
                     "Config": n.ipam.map { ipam -> [String: Any] in
                         var config: [String: Any] = ["Subnet": ipam.subnet, "Gateway": ipam.gateway]
                         if !ipam.ipRange.isEmpty { config["IPRange"] = ipam.ipRange }
                         return config
                     }] as [String: Any],
            "Containers": n.containers.mapValues { c -> [String: Any] in
                ["Name": c.name, "EndpointID": c.endpointID, "MacAddress": c.macAddress, "IPv4Address": c.ipv4Address, "IPv6Address": ""]
            },
            "Options": n.options, "Labels": n.labels,
        ]
    }

    static func portBindings(_ bindings: [Engine_PortBinding]) -> [String: Any] {
        var result: [String: [[String: String]]] = [:]
        for binding in bindings {
            result[binding.containerPort, default: []].append(["HostIp": binding.hostIp, "HostPort": binding.hostPort])
        }
        return result
    }

    static func settings(_ s: Engine_NetworkSettings) -> [String: Any] {
        let primary = s.networks.values.first { !$0.ipAddress.isEmpty }
        return [
            "SandboxKey": s.sandboxKey, "Ports": portBindings(s.ports),
            "IPAddress": primary?.ipAddress ?? "", "IPPrefixLen": Int(primary?.ipPrefixLen ?? 0),
            "Gateway": primary?.gateway ?? "", "MacAddress": primary?.macAddress ?? "",
            "Networks": s.networks.mapValues { e -> [String: Any] in
                ["NetworkID": e.networkID, "EndpointID": e.endpointID, "IPAddress": e.ipAddress, "IPPrefixLen": Int(e.ipPrefixLen),
                 "Gateway": e.gateway, "MacAddress": e.macAddress, "Aliases": e.aliases.isEmpty ? NSNull() : e.aliases as Any]
            },
        ]
    }
}
