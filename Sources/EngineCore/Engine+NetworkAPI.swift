// Engine+NetworkAPI: docker's network verbs — create (bridge driver: a bridge named bb-<id
// prefix>, --subnet/--gateway/--ip-range or a free private /24, --internal, labels), ls with
// name/id/driver/label filters, inspect with the attached containers, rm (not the predefined
// ones, not while a running container uses it; removes the bridge and its firewall chain),
// prune, connect and disconnect (live for a running container: CNI ADD/DEL on eth<N>).
import API
import Errdefs
import Foundation
import RPC
import SwiftProtobuf

extension Engine {
    nonisolated func registerNetworks(on registry: inout ServiceRegistry) {
        let service = EngineAPI.networks
        registry.unary(service, "Create") { [self] (request: Engine_CreateNetworkRequest, _) in try await createNetwork(request) }
        registry.unary(service, "List") { [self] (request: Engine_ListNetworksRequest, _) in await listNetworks(request) }
        registry.unary(service, "Inspect") { [self] (request: Engine_NetworkRequest, _) in try await inspectNetwork(request.id) }
        registry.unary(service, "Remove") { [self] (request: Engine_NetworkRequest, _) -> Google_Protobuf_Empty in
            try await removeNetwork(request.id)
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Prune") { [self] (_: Engine_PruneRequest, _) in await pruneNetworks() }
        registry.unary(service, "Connect") { [self] (request: Engine_ConnectNetworkRequest, _) -> Google_Protobuf_Empty in
            try await connect(request)
            return Google_Protobuf_Empty()
        }
        registry.unary(service, "Disconnect") { [self] (request: Engine_DisconnectNetworkRequest, _) -> Google_Protobuf_Empty in
            try await disconnect(request)
            return Google_Protobuf_Empty()
        }
    }

    func createNetwork(_ request: Engine_CreateNetworkRequest) async throws -> Engine_CreateNetworkResponse {
        let name = request.name
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) }) else {
            throw CoreError(.invalidArgument, "invalid network name \"\(name)\"")
        }
        guard request.driver.isEmpty || request.driver == "bridge" else {
            throw CoreError(.invalidArgument, "network driver \(request.driver) is not supported (bridge)")
        }
        var network = Engine_NetworkInspect()
        network.name = name
        network.driver = "bridge"
        network.internal = request.internal
        network.labels = request.labels
        network.options = request.options
        let used = networks.usedSubnets()
        if let wanted = request.ipam.first, !wanted.subnet.isEmpty {
            guard let subnet = IPv4Subnet(wanted.subnet), subnet.prefix <= 30 else { throw CoreError(.invalidArgument, "invalid subnet \(wanted.subnet)") }
            if let clash = used.first(where: { $0.overlaps(subnet) }) {
                throw CoreError(.alreadyExists, "Pool overlaps with other one on this address space (\(clash))")
            }
            if !wanted.gateway.isEmpty {
                guard let gateway = IPv4Subnet.parse(wanted.gateway), subnet.contains(gateway) else {
                    throw CoreError(.invalidArgument, "no matching subnet for gateway \(wanted.gateway)")
                }
            }
            var ipam = NetworkStore.ipam(subnet, gateway: wanted.gateway)
            ipam.ipRange = wanted.ipRange
            network.ipam = [ipam]
        } else {
            guard let subnet = IPv4Subnet.pickFree(used: used) else { throw CoreError(.resourceExhausted, "no free private subnet left") }
            network.ipam = [NetworkStore.ipam(subnet)]
        }
        try networks.add(&network)
        await startNameServer(network)
        await events.publish(type: "network", action: "create", id: network.id, attributes: ["name": name, "type": "bridge"])
        var response = Engine_CreateNetworkResponse()
        response.id = network.id
        return response
    }

    func listNetworks(_ request: Engine_ListNetworksRequest) -> Engine_ListNetworksResponse {
        var response = Engine_ListNetworksResponse()
        response.networks = networks.byID.values.filter { network in
            request.filters.allSatisfy { filter in
                switch filter.key {
                case "name": return network.name.contains(filter.value)
                case "id": return network.id.hasPrefix(filter.value)
                case "driver": return network.driver == filter.value
                case "label":
                    let parts = filter.value.split(separator: "=", maxSplits: 1).map(String.init)
                    return network.labels[parts[0]] != nil && (parts.count == 1 || network.labels[parts[0]] == parts[1])
                default: return true
                }
            }
        }.map { withContainers($0) }.sorted { $0.name < $1.name }
        return response
    }

    func inspectNetwork(_ reference: String) throws(CoreError) -> Engine_NetworkInspect {
        withContainers(try networks.resolve(reference))
    }

    /// The network with its running containers' endpoints.
    private func withContainers(_ network: Engine_NetworkInspect) -> Engine_NetworkInspect {
        var network = network
        for (id, stored) in store.byID {
            guard let endpoint = stored.inspect.networkSettings.networks.values.first(where: { $0.networkID == network.id }),
                  !endpoint.ipAddress.isEmpty else { continue }
            var container = Engine_NetworkContainer()
            container.name = stored.inspect.name
            container.endpointID = endpoint.endpointID
            container.macAddress = endpoint.macAddress
            container.ipv4Address = "\(endpoint.ipAddress)/\(endpoint.ipPrefixLen)"
            network.containers[id] = container
        }
        return network
    }

    private func users(of network: Engine_NetworkInspect) -> [Engine_StoredContainer] {
        store.byID.values.filter { $0.inspect.networkSettings.networks.values.contains { $0.networkID == network.id } }
    }

    func removeNetwork(_ reference: String) async throws {
        let network = try networks.resolve(reference)
        if ["bridge", "host", "none"].contains(network.name) {
            throw CoreError(.permissionDenied, "\(network.name) is a pre-defined network and cannot be removed")
        }
        if let user = users(of: network).first(where: { isActive($0) }) {
            throw CoreError(.failedPrecondition, "error while removing network: network \(network.name) id \(network.id) has active endpoints (\(user.inspect.name))")
        }
        let bridge = network.options[CNIConfig.bridgeOption] ?? ""
        await stopNameServer(network.id)
        try await Self.offActor { () throws(CoreError) in BridgeFirewall.remove(bridge: bridge) }
        try networks.remove(network.id)
        await events.publish(type: "network", action: "destroy", id: network.id, attributes: ["name": network.name, "type": "bridge"])
    }

    func pruneNetworks() async -> Engine_PruneResponse {
        var response = Engine_PruneResponse()
        for network in networks.byID.values where !["bridge", "host", "none"].contains(network.name) && users(of: network).isEmpty {
            do {
                try await removeNetwork(network.id)
                response.deleted.append(network.name)
            } catch {
                logger.error("network prune", metadata: ["network": "\(network.name)", "error": "\(error)"])
            }
        }
        return response
    }

    func connect(_ request: Engine_ConnectNetworkRequest) async throws {
        let network = try networks.resolve(request.network)
        var stored = try store.resolve(request.container)
        let mode = Self.networkMode(stored.inspect.hostConfig)
        guard network.driver == "bridge", mode != "host", mode != "none", !mode.hasPrefix("container:") else {
            throw CoreError(.invalidArgument, "container sharing network namespace with another container or host cannot be connected to any other network")
        }
        guard Self.hasNameServer(network) || request.aliases.isEmpty else {
            throw CoreError(.invalidArgument, "network-scoped aliases are only supported for user-defined networks")
        }
        if stored.inspect.networkSettings.networks[network.name] != nil {
            throw CoreError(.alreadyExists, "endpoint with name \(stored.inspect.name) already exists in network \(network.name)")
        }
        var endpoint = Engine_EndpointSettings()
        endpoint.networkID = network.id
        endpoint.aliases = request.aliases + [String(stored.inspect.id.prefix(12))]
        if isActive(stored) {
            let id = stored.inspect.id
            let attachment = NetworkAttachment(containerID: id, netns: netnsDirectory.path(of: id), directory: store.directory(of: id))
            let ifname = "eth\(stored.inspect.networkSettings.networks.count)", ipam = networks.ipamDirectory, ip = request.ipv4Address
            let added = try await Self.offActor { () throws(CoreError) -> Engine_EndpointSettings in
                try BridgeFirewall.ensure(bridge: network.options[CNIConfig.bridgeOption] ?? "", internal: network.internal)
                return try attachment.add(network, ifname: ifname, ipamDirectory: ipam, ip: ip, ports: [])
            }
            let aliases = endpoint.aliases
            endpoint = added
            endpoint.aliases = aliases
            stored = try store.resolve(id)
        }
        stored.inspect.networkSettings.networks[network.name] = endpoint
        try await saveContainer(stored)
        await events.publish(type: "network", action: "connect", id: network.id, attributes: ["name": network.name, "container": stored.inspect.id])
    }

    func disconnect(_ request: Engine_DisconnectNetworkRequest) async throws {
        let network = try networks.resolve(request.network)
        var stored = try store.resolve(request.container)
        guard stored.inspect.networkSettings.networks[network.name] != nil else {
            throw CoreError(.notFound, "container \(stored.inspect.id) is not connected to network \(network.name)")
        }
        let id = stored.inspect.id
        let attachment = NetworkAttachment(containerID: id, netns: netnsDirectory.path(of: id), directory: store.directory(of: id))
        if let error = try await Self.offActor({ () throws(CoreError) -> String? in attachment.delete(network.id) }) {
            logger.error("network disconnect incomplete; retried at exit or rm", metadata: ["id": "\(id)", "error": "\(error)"])
        }
        stored = try store.resolve(id)
        stored.inspect.networkSettings.networks[network.name] = nil
        try await saveContainer(stored)
        await events.publish(type: "network", action: "disconnect", id: network.id, attributes: ["name": network.name, "container": id])
    }

    // MARK: restore

    /// Engine start, before containers are reconciled: loads the networks (making the defaults).
    func restoreNetworks() {
        for error in networks.load(dataRoot: config.dataRoot) {
            logger.error("network records", metadata: ["error": "\(error)"])
        }
    }

    /// Engine start, after: releases what containers no longer running still hold (attachments,
    /// pinned namespaces — of removed containers too — and IPAM leases).
    func reapNetworks() async {
        for stored in store.byID.values where !isActive(stored) {
            var updated = stored
            await disconnectNetworks(&updated)
            if updated != stored { try? await saveContainer(updated) }
        }
        let namespaces = netnsDirectory
        for id in namespaces.ids() where store.byID[id] == nil { try? namespaces.remove(id) }
        let running = Set(store.byID.values.filter { isActive($0) }.map(\.inspect.id))
        let ipam = networks.ipamDirectory
        for network in (try? FileManager.default.contentsOfDirectory(atPath: ipam)) ?? [] {
            let directory = "\(ipam)/\(network)"
            for lease in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where lease.first?.isNumber == true {
                let owner = ((try? String(contentsOfFile: "\(directory)/\(lease)", encoding: .utf8)) ?? "")
                    .split(whereSeparator: { $0.isNewline }).first.map(String.init) ?? ""
                if !running.contains(owner) { try? FileManager.default.removeItem(atPath: "\(directory)/\(lease)") }
            }
        }
    }
}
