// Engine+DNS: name resolution between containers on user-defined networks. Each such network
// has a DNSServer on its gateway address (from `network create`, or engine start, to `network
// rm`; the default `bridge` network has none, as with docker), and a container whose first
// network is one gets that gateway as its only nameserver in /etc/resolv.conf. A query is
// answered from the engine's records: a running container's name, its aliases on the network
// (--network-alias, `network connect --alias`, its short id) and "NAME.NETWORK" resolve to its
// address on every user network the querier shares with it; other single-label names are
// NXDOMAIN; a container's address asked in reverse (PTR) gives "NAME.NETWORK", other addresses
// of those networks NXDOMAIN; the rest goes to the querier's --dns servers or the host's
// (non-loopback) ones.
import API
import Errdefs
import Foundation

/// The engine's name resolution state: the servers by network id, and the records of containers
/// being started — their addresses are known from their CNI ADD on, but their record is saved
/// only once their task runs, and their first queries (or others' for them) come before that.
struct EngineDNSState {
    var servers: [String: DNSServer] = [:]
    var starting: [String: Engine_StoredContainer] = [:]
}

extension Engine {
    /// Whether `network` gets a name server: bridge networks other than the default one.
    static func hasNameServer(_ network: Engine_NetworkInspect) -> Bool {
        network.driver == "bridge" && network.name != "bridge"
            && network.options["com.docker.network.bridge.default_bridge"] != "true"
    }

    /// Starts `network`'s name server unless it runs or the network has none. A failure (the
    /// address taken by something else) is logged: the network works, without names.
    func startNameServer(_ network: Engine_NetworkInspect) async {
        let id = network.id
        guard Self.hasNameServer(network), dns.servers[id] == nil,
              let gateway = network.ipam.first?.gateway, !gateway.isEmpty else { return }
        do {
            let server = try await DNSServer.start(address: gateway) { [weak self] query, source in
                guard let self else { return .refused }
                return await self.resolveName(query, source: source, networkID: id)
            }
            // The actor ran other work meanwhile: the network may be gone, or started twice.
            guard dns.servers[id] == nil, networks.byID[id] != nil else {
                await server.stop()
                return
            }
            dns.servers[id] = server
        } catch {
            logger.error("network name server", metadata: ["network": "\(network.name)", "address": "\(gateway):53", "error": "\(error)"])
        }
    }

    func stopNameServer(_ networkID: String) async {
        await dns.servers.removeValue(forKey: networkID)?.stop()
    }

    /// Engine start: the name servers of the networks there are.
    func startNameServers() async {
        for network in networks.byID.values { await startNameServer(network) }
    }

    /// What `networkID`'s server does with `query` from `source`.
    func resolveName(_ query: DNSQuery, source: String, networkID: String) -> DNSVerdict {
        guard let network = networks.byID[networkID], let subnet = network.ipam.first.flatMap({ IPv4Subnet($0.subnet) }),
              let from = IPv4Subnet.parse(source), subnet.contains(from) else { return .refused }
        let containers = store.byID.values.map { stored in
            isActive(stored) ? stored : dns.starting[stored.inspect.id] ?? stored
        }
        let querier = containers.first { stored in
            stored.inspect.networkSettings.networks.values.contains { $0.networkID == networkID && $0.ipAddress == source }
        }
        // The networks whose names the querier sees: this one, and its other user networks.
        var scope: Set<String> = [networkID]
        for endpoint in querier?.inspect.networkSettings.networks.values.map({ $0 }) ?? [] where !endpoint.ipAddress.isEmpty {
            if let other = networks.byID[endpoint.networkID], Self.hasNameServer(other) { scope.insert(other.id) }
        }
        let name = query.name
        var addresses: [[UInt8]] = []
        if !name.isEmpty {
            for stored in containers {
                for (networkName, endpoint) in stored.inspect.networkSettings.networks
                where scope.contains(endpoint.networkID) && !endpoint.ipAddress.isEmpty {
                    let names = ([stored.inspect.name] + endpoint.aliases).map { $0.lowercased() }
                    let suffix = "." + networkName.lowercased()
                    let matches = names.contains(name) || (name.hasSuffix(suffix) && names.contains(String(name.dropLast(suffix.count))))
                    if matches, let bytes = DNSQuery.addressBytes(endpoint.ipAddress), !addresses.contains(bytes) {
                        addresses.append(bytes)
                    }
                }
            }
        }
        if !addresses.isEmpty { return .addresses(addresses) }
        if let address = query.reverseAddress, let value = IPv4Subnet.parse(address) {
            for stored in containers {
                for (networkName, endpoint) in stored.inspect.networkSettings.networks
                where scope.contains(endpoint.networkID) && endpoint.ipAddress == address {
                    return .pointer("\(stored.inspect.name).\(networkName)")
                }
            }
            // The networks' own addresses are nobody's name; they are not asked of the world.
            let inside = scope.contains { id in networks.byID[id]?.ipam.contains { IPv4Subnet($0.subnet)?.contains(value) == true } == true }
            if inside { return .nameError }
        }
        if !name.isEmpty && !name.contains(".") { return .nameError }  // single labels never leave
        if network.internal { return .forward([]) }
        let given = (querier?.inspect.hostConfig.dns ?? []).filter { DNSQuery.addressBytes($0).map { $0[0] != 127 } ?? false }
        if !given.isEmpty { return .forward(given) }
        return .forward(DNSForwarder.upstreams(resolvConf: (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""))
    }

    /// A container's /etc/resolv.conf: on a network with a name server (its first one) that
    /// server only, with the host's or --dns-search/--dns-option's search and options lines
    /// (--dns servers become its upstreams); otherwise NetworkEtc's.
    func containerResolvConf(host hostText: String, _ host: Engine_HostConfig, network: Engine_NetworkInspect?) -> String {
        guard let network, Self.hasNameServer(network), dns.servers[network.id] != nil,
              let gateway = network.ipam.first?.gateway, !gateway.isEmpty else {
            return NetworkEtc.resolvConf(host: hostText, dns: host.dns, search: host.dnsSearch, options: host.dnsOptions)
        }
        return NetworkEtc.resolvConf(host: hostText, dns: [gateway], search: host.dnsSearch, options: host.dnsOptions)
    }
}
