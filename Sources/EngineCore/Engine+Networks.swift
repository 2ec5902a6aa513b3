// Engine+Networks: a container's networking through its life — at create the mode is checked and
// recorded (--network none|host|bridge|NAME|container:ID; the spec's namespace path, the
// sandbox key, is fixed then: <exec-root>/netns/<id>), at start the namespace is pinned and
// each network's CNI chain ADDed (ports published on the first network), at exit and rm DEL'd
// and the namespace removed, and after an engine crash whatever belongs to containers no longer
// running is released (restoreNetworks / reapNetworks).
import API
import Errdefs
import Foundation
import Glibc
import OCI

extension Engine {
    var netnsDirectory: NetworkNamespace { NetworkNamespace(execRoot: config.execRoot) }

    /// The network mode with docker's default.
    static func networkMode(_ host: Engine_HostConfig) -> String {
        host.networkMode.isEmpty || host.networkMode == "default" ? "bridge" : host.networkMode
    }

    /// Create: validates the mode and fills inspect's NetworkSettings and exposed ports.
    func prepareNetworking(_ inspect: inout Engine_ContainerInspect, imageExposed: [String: [String: String]]?) throws(CoreError) {
        let mode = Self.networkMode(inspect.hostConfig)
        inspect.hostConfig.networkMode = mode
        var exposed = Set((imageExposed ?? [:]).keys.map(Self.portKey))
        exposed.formUnion(inspect.config.exposedPorts.map(Self.portKey))
        exposed.formUnion(inspect.hostConfig.portBindings.map { Self.portKey($0.containerPort) })
        inspect.config.exposedPorts = exposed.sorted()
        var settings = Engine_NetworkSettings()
        switch mode {
        case "none", "host":
            guard inspect.hostConfig.portBindings.isEmpty || mode == "host" else {
                throw CoreError(.invalidArgument, "conflicting options: port publishing and the container type network mode")
            }
        case let mode where mode.hasPrefix("container:"):
            let other = try store.resolve(String(mode.dropFirst("container:".count)))
            let otherMode = Self.networkMode(other.inspect.hostConfig)
            if otherMode == "host" { settings.sandboxKey = "/proc/1/ns/net" }
            else if otherMode == "none" || otherMode.hasPrefix("container:") {
                guard isActive(other), other.inspect.state.pid > 0 else {
                    throw CoreError(.failedPrecondition, "cannot join network namespace of a non running container: \(other.inspect.id)")
                }
                settings.sandboxKey = otherMode == "none" ? "/proc/\(other.inspect.state.pid)/ns/net" : other.inspect.networkSettings.sandboxKey
            } else {
                settings.sandboxKey = netnsDirectory.path(of: other.inspect.id)
            }
            inspect.hostConfig.networkMode = "container:" + other.inspect.id
        default:
            let network = try networks.resolve(mode)
            guard network.driver == "bridge" else { throw CoreError(.invalidArgument, "network \(mode) cannot be used here") }
            guard Self.hasNameServer(network) || inspect.hostConfig.networkAliases.isEmpty else {
                throw CoreError(.invalidArgument, "network-scoped aliases are only supported for user-defined networks")
            }
            var endpoint = Engine_EndpointSettings()
            endpoint.networkID = network.id
            if network.name != "bridge" { endpoint.aliases = inspect.hostConfig.networkAliases + [String(inspect.id.prefix(12))] }
            settings.networks[network.name] = endpoint
            settings.sandboxKey = netnsDirectory.path(of: inspect.id)
        }
        inspect.networkSettings = settings
    }

    static func portKey(_ port: String) -> String { port.contains("/") ? port : port + "/tcp" }

    /// Start: pins the namespace, ADDs each network, writes /etc/hosts and /etc/resolv.conf.
    func connectNetworks(_ stored: inout Engine_StoredContainer) async throws {
        let inspect = stored.inspect
        let host = inspect.hostConfig
        let mode = Self.networkMode(host)
        let hostResolv = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        if mode == "host" {
            try NetworkEtc.write((try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? NetworkEtc.loopbackHosts, to: inspect.hostsPath)
            try NetworkEtc.write(NetworkEtc.resolvConf(host: hostResolv, dns: host.dns, search: host.dnsSearch, options: host.dnsOptions), to: inspect.resolvConfPath)
            return
        }
        if mode.hasPrefix("container:") {
            let key = inspect.networkSettings.sandboxKey
            let joinable = key.hasPrefix("/proc/") ? FileManager.default.fileExists(atPath: key)
                : netnsDirectory.isPinned(URL(fileURLWithPath: key).lastPathComponent)
            guard joinable else { throw CoreError(.failedPrecondition, "cannot join network namespace of a non running container: \(mode)") }
            return
        }
        var endpoints: [(String, Engine_NetworkInspect)] = []
        for (name, _) in inspect.networkSettings.networks {
            endpoints.append((name, try networks.resolve(inspect.networkSettings.networks[name]!.networkID)))
        }
        endpoints.sort { ($0.0 == mode ? "" : $0.0) < ($1.0 == mode ? "" : $1.0) }
        let ports = try Self.publishedPorts(inspect)
        let attachment = NetworkAttachment(containerID: inspect.id, netns: netnsDirectory.path(of: inspect.id),
                                           directory: store.directory(of: inspect.id))
        let namespaces = netnsDirectory, ipam = networks.ipamDirectory, ip = host.ipv4Address
        let found: [Engine_EndpointSettings]
        if mode == "none" {
            found = []
        } else {
            let chosen = endpoints
            found = try await Self.offActor { () throws(CoreError) -> [Engine_EndpointSettings] in
                _ = try namespaces.create(inspect.id)
                do throws(CoreError) {
                    try attachment.loopback()
                    var results: [Engine_EndpointSettings] = []
                    for (index, (_, network)) in chosen.enumerated() {
                        try BridgeFirewall.ensure(bridge: network.options[CNIConfig.bridgeOption] ?? "", internal: network.internal)
                        let mappings = index == 0 ? ports.map(\.mapping) : []
                        results.append(try attachment.add(network, ifname: "eth\(index)", ipamDirectory: ipam,
                                                          ip: index == 0 ? ip : "", ports: mappings))
                    }
                    return results
                } catch {
                    for id in attachment.attachedNetworkIDs() { attachment.delete(id) }
                    try? namespaces.remove(inspect.id)
                    throw error
                }
            }
        }
        for (index, (name, _)) in endpoints.enumerated() {
            var endpoint = found[index]
            endpoint.aliases = stored.inspect.networkSettings.networks[name]?.aliases ?? []
            stored.inspect.networkSettings.networks[name] = endpoint
        }
        stored.inspect.networkSettings.ports = ports.map(\.binding)
        dns.starting[inspect.id] = stored
        let primary = found.first
        do {
            try NetworkEtc.write(try NetworkEtc.hosts(hostname: inspect.config.hostname, address: primary?.ipAddress ?? "",
                                                      aliases: primary == nil ? [] : (stored.inspect.networkSettings.networks[endpoints[0].0]?.aliases ?? []),
                                                      gateway: primary?.gateway ?? "", extraHosts: host.extraHosts), to: inspect.hostsPath)
            try NetworkEtc.write(containerResolvConf(host: hostResolv, host, network: primary == nil ? nil : endpoints.first?.1),
                                 to: inspect.resolvConfPath)
        } catch {
            await disconnectNetworks(&stored)
            throw error
        }
    }

    /// Exit, rm, restore: DELs every recorded attachment and removes the pinned namespace.
    func disconnectNetworks(_ stored: inout Engine_StoredContainer) async {
        let id = stored.inspect.id
        dns.starting[id] = nil
        let attachment = NetworkAttachment(containerID: id, netns: netnsDirectory.path(of: id), directory: store.directory(of: id))
        let namespaces = netnsDirectory
        let pinned = FileManager.default.fileExists(atPath: namespaces.path(of: id))
        if pinned || !attachment.attachedNetworkIDs().isEmpty {
            let failed = try? await Self.offActor { () throws(CoreError) -> [String] in
                var failed: [String] = []
                for network in attachment.attachedNetworkIDs() {
                    if let error = attachment.delete(network) { failed.append("\(network): \(error)") }
                }
                do { try namespaces.remove(id) } catch { failed.append("\(error)") }
                return failed
            }
            if let failed, !failed.isEmpty {
                logger.error("network teardown incomplete", metadata: ["id": "\(id)", "left": "\(failed)"])
            }
        }
        for name in stored.inspect.networkSettings.networks.keys {
            stored.inspect.networkSettings.networks[name]?.ipAddress = ""
            stored.inspect.networkSettings.networks[name]?.ipPrefixLen = 0
            stored.inspect.networkSettings.networks[name]?.gateway = ""
            stored.inspect.networkSettings.networks[name]?.macAddress = ""
            stored.inspect.networkSettings.networks[name]?.endpointID = ""
        }
        stored.inspect.networkSettings.ports = []
    }

    /// A task adopted after a crash (started, its record never saved): inspect's endpoints and
    /// published ports from what the start's ADDs recorded.
    func adoptNetworking(_ stored: inout Engine_StoredContainer) {
        let id = stored.inspect.id
        let attachment = NetworkAttachment(containerID: id, netns: netnsDirectory.path(of: id), directory: store.directory(of: id))
        var ports: [Engine_PortBinding] = []
        for (name, endpoint) in stored.inspect.networkSettings.networks {
            guard let network = networks.byID[endpoint.networkID], let recorded = attachment.recorded(network) else { continue }
            var adopted = recorded.endpoint
            adopted.aliases = endpoint.aliases
            stored.inspect.networkSettings.networks[name] = adopted
            ports += recorded.ports
        }
        stored.inspect.networkSettings.ports = ports
    }

    /// Runs blocking work (plugins, iptables) on a thread of its own, off the actor and the pool.
    static func offActor<T: Sendable>(_ body: @escaping @Sendable () throws(CoreError) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
