// NetworkStore: the engine's networks, one NetworkInspect record each at
// <data-root>/networks/all/<id>.pb (RecordStore: temp file, fsync, rename, so a crash leaves the
// old record or the new one), with docker's three defaults made at first start — "bridge" (a
// Linux bridge named from the data-root's hash, so engines never share one, on a free private
// subnet chosen then and kept), "host" and "none" — and docker's lookup: full id, name, or
// unique id prefix. The bridge's name is kept in the network's options
// (com.docker.network.bridge.name).
import API
import Digest
import Errdefs
import Foundation
import Records
import SwiftProtobuf

struct NetworkStore {
    let directory: String
    private let records: RecordStore
    private(set) var byID: [String: Engine_NetworkInspect] = [:]

    init(dataRoot: String) throws(CoreError) {
        directory = dataRoot + "/networks"
        records = try RecordStore(directory: directory)
    }

    /// host-local's lease directory for this engine.
    var ipamDirectory: String { directory + "/ipam" }

    /// Reads the records and makes the default networks that are missing.
    mutating func load(dataRoot: String) -> [CoreError] {
        let (found, errors) = records.all(Engine_NetworkInspect.self, namespace: "all")
        for (id, network) in found { byID[id] = network }
        var problems = errors
        for (name, driver) in [("bridge", "bridge"), ("host", "host"), ("none", "null")] where byName(name) == nil {
            var network = Engine_NetworkInspect()
            network.name = name
            network.driver = driver
            if name == "bridge" {
                network.options[CNIConfig.bridgeOption] = "bb-" + SHA256.hex(Array(dataRoot.utf8)).prefix(8)
                network.options["com.docker.network.bridge.default_bridge"] = "true"
                guard let subnet = IPv4Subnet.pickFree(used: usedSubnets()) else {
                    problems.append(CoreError(.resourceExhausted, "no free private subnet for the default bridge network"))
                    continue
                }
                network.ipam = [Self.ipam(subnet)]
            }
            do { try add(&network) } catch { problems.append(error) }
        }
        return problems
    }

    static func ipam(_ subnet: IPv4Subnet, gateway: String = "") -> Engine_IPAMConfig {
        var ipam = Engine_IPAMConfig()
        ipam.subnet = subnet.description
        ipam.gateway = gateway.isEmpty ? subnet.address(at: 1) : gateway
        return ipam
    }

    func usedSubnets() -> [IPv4Subnet] { byID.values.flatMap { $0.ipam.compactMap { IPv4Subnet($0.subnet) } } }

    func byName(_ name: String) -> Engine_NetworkInspect? { byID.values.first { $0.name == name } }

    /// A network by name, full id or unique id prefix.
    func resolve(_ reference: String) throws(CoreError) -> Engine_NetworkInspect {
        if let network = byName(reference) ?? byID[reference] { return network }
        let matches = reference.isEmpty ? [] : byID.keys.filter { $0.hasPrefix(reference) }
        if matches.count == 1, let network = byID[matches[0]] { return network }
        if matches.count > 1 { throw CoreError(.invalidArgument, "network \(reference) is ambiguous (\(matches.count) matches found based on ID prefix)") }
        throw CoreError(.notFound, "network \(reference) not found")
    }

    /// Stores a new network, giving it an id, a creation time and (bridges) a bridge name.
    mutating func add(_ network: inout Engine_NetworkInspect) throws(CoreError) {
        if byName(network.name) != nil { throw CoreError(.alreadyExists, "network with name \(network.name) already exists") }
        network.id = Engine.newID()
        network.created = Google_Protobuf_Timestamp(date: Date())
        network.scope = "local"
        if network.driver == "bridge", network.options[CNIConfig.bridgeOption] == nil {
            network.options[CNIConfig.bridgeOption] = "bb-" + network.id.prefix(8)
        }
        try save(network)
    }

    mutating func save(_ network: Engine_NetworkInspect) throws(CoreError) {
        try records.write(network, namespace: "all", id: network.id)
        byID[network.id] = network
    }

    mutating func remove(_ id: String) throws(CoreError) {
        _ = try records.delete(namespace: "all", id: id)
        byID[id] = nil
        try? FileManager.default.removeItem(atPath: "\(ipamDirectory)/\(id)")
    }
}
