// NetworkFlags: docker's networking flags of `run`/`create` — --network, -p/--publish
// ([IP:][HOSTPORT:]CONTAINERPORT[/PROTO]), -P/--publish-all, --expose, --dns, --dns-search,
// --dns-option, --add-host, --network-alias, --ip — into the Create request.
import API
import ArgumentParser

struct NetworkFlags: ParsableArguments {
    @Option(help: "Connect a container to a network (bridge, none, host, container:ID or a network's name).") var network: String?
    @Option(name: [.customShort("p"), .customLong("publish")], help: "Publish a container's port(s) to the host ([ip:][hostPort:]containerPort[/proto]).") var publish: [String] = []
    @Flag(name: [.customShort("P"), .customLong("publish-all")], help: "Publish all exposed ports to random ports.") var publishAll = false
    @Option(help: "Expose a port or a range of ports.") var expose: [String] = []
    @Option(help: "Set custom DNS servers.") var dns: [String] = []
    @Option(name: .customLong("dns-search"), help: "Set custom DNS search domains.") var dnsSearch: [String] = []
    @Option(name: .customLong("dns-option"), help: "Set DNS options.") var dnsOption: [String] = []
    @Option(name: .customLong("add-host"), help: "Add a custom host-to-IP mapping (host:ip).") var addHost: [String] = []
    @Option(name: .customLong("network-alias"), help: "Add network-scoped alias for the container.") var networkAlias: [String] = []
    @Option(help: "IPv4 address (e.g., 172.30.100.104).") var ip: String?

    func apply(_ config: inout Engine_ContainerConfig, _ host: inout Engine_HostConfig) throws {
        host.networkMode = network ?? ""
        host.portBindings = try publish.map(Self.binding)
        host.publishAllPorts = publishAll
        config.exposedPorts = try expose.flatMap(Self.exposed)
        host.dns = dns
        host.dnsSearch = dnsSearch
        host.dnsOptions = dnsOption
        host.extraHosts = addHost
        host.networkAliases = networkAlias
        host.ipv4Address = ip ?? ""
    }

    /// "[ip:][hostPort:]containerPort[/proto]".
    static func binding(_ text: String) throws -> Engine_PortBinding {
        let invalid = CLIError(message: "berth: invalid argument \"\(text)\" for \"-p, --publish\" flag", code: 125)
        var spec = text, proto = "tcp"
        if let slash = text.lastIndex(of: "/") {
            proto = String(text[text.index(after: slash)...])
            spec = String(text[..<slash])
        }
        var parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), let container = parts.last, UInt16(container) != nil else { throw invalid }
        var binding = Engine_PortBinding()
        binding.containerPort = "\(container)/\(proto)"
        parts.removeLast()
        if let hostPort = parts.last {
            guard hostPort.isEmpty || hostPort.split(separator: "-").allSatisfy({ UInt16($0) != nil }) else { throw invalid }
            binding.hostPort = hostPort
            parts.removeLast()
        }
        binding.hostIp = parts.first ?? ""
        return binding
    }

    /// "80", "80/udp" or "8000-8002/tcp".
    static func exposed(_ text: String) throws -> [String] {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        let proto = parts.count > 1 ? parts[1] : "tcp"
        let bounds = parts[0].split(separator: "-").compactMap { UInt16($0) }
        guard (1...2).contains(bounds.count), bounds.first! <= bounds.last! else {
            throw CLIError(message: "berth: invalid range format for --expose: \(text)", code: 125)
        }
        return (bounds.first!...bounds.last!).map { "\($0)/\(proto)" }
    }
}
