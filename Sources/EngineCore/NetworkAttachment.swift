// NetworkAttachment: one container's CNI attachments — ADD runs the network's chain plugin by
// plugin (each gets the previous result as prevResult) and keeps what it runs in
// <data-root>/containers/<id>/cni-<network id>.json: the plugins, interface and namespace before
// the first plugin runs (so an engine killed mid-ADD leaves what DEL needs: CNI's DEL works
// without a prevResult), then the result too. DEL later (after a stop, an `rm`, or an engine
// crash and restart) runs the same plugins in reverse with the same config (and result, when
// there is one), even when the network's record is gone. A failed ADD undoes itself. Blocking:
// runs off the engine's actor (Engine+Networks.swift).
import API
import Errdefs
import Foundation
import Sys

struct NetworkAttachment: Sendable {
    let containerID: String
    let netns: String
    let directory: String

    func file(_ networkID: String) -> String { "\(directory)/cni-\(networkID).json" }

    /// Networks (ids) this container has an ADD recorded for.
    func attachedNetworkIDs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("cni-") && $0.hasSuffix(".json") }
            .map { String($0.dropFirst(4).dropLast(5)) }
    }

    /// Brings up "lo" in the namespace.
    func loopback() throws(CoreError) {
        _ = try CNIPlugin(type: "loopback").run(.add, containerID: containerID, netns: netns, ifname: "lo", config: CNIConfig.loopback)
    }

    /// Runs the chain's ADD and returns the container's endpoint on `network`.
    func add(_ network: Engine_NetworkInspect, ifname: String, ipamDirectory: String, ip: String,
             ports: [CNIConfig.PortMapping]) throws(CoreError) -> Engine_EndpointSettings {
        let plugins = CNIConfig.chain(network, ipamDirectory: ipamDirectory, ip: ip, ports: ports)
        let name = network.id
        var record: [String: Any] = ["name": name, "ifname": ifname, "netns": netns, "plugins": plugins]
        try write(record, networkID: network.id)  // before any plugin runs: a crash from here on leaves what DEL needs
        FaultInjection.hit("engine-cni-add-recorded")
        var previous: [String: Any]?
        var done: [[String: Any]] = []
        do {
            for plugin in plugins {
                let type = plugin["type"] as? String ?? ""
                previous = try CNIPlugin(type: type).run(.add, containerID: containerID, netns: netns, ifname: ifname,
                                                         config: CNIConfig.stdin(plugin, name: name, previous: previous))
                done.append(plugin)
                FaultInjection.hit("engine-cni-add-\(type)")
            }
            record["result"] = previous ?? [:]
            try write(record, networkID: network.id)
        } catch {
            let failed = Self.runDelete(done + (plugins.count > done.count ? [plugins[done.count]] : []), name: name, result: previous,
                                        containerID: containerID, netns: netns, ifname: ifname)
            if failed.isEmpty { try? FileManager.default.removeItem(atPath: file(network.id)) }  // else kept for a later DEL
            throw error
        }
        return Self.endpoint(network, result: previous ?? [:])
    }

    private func write(_ record: [String: Any], networkID: String) throws(CoreError) {
        do {
            let data = try JSONSerialization.data(withJSONObject: record)
            try data.write(to: URL(fileURLWithPath: file(networkID)), options: .atomic)
        } catch {
            throw CoreError(.internal, "cannot record the CNI attachment \(file(networkID)): \(error.localizedDescription)")
        }
    }

    private func read(_ networkID: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: file(networkID)) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// Runs DEL for the recorded attachment to `networkID` and forgets it; nil when done, else
    /// what failed (the record is kept for a later try).
    @discardableResult
    func delete(_ networkID: String) -> String? {
        guard let record = read(networkID) else {
            try? FileManager.default.removeItem(atPath: file(networkID))
            return nil
        }
        let plugins = record["plugins"] as? [[String: Any]] ?? []
        var failed: [String] = []
        // A second try when the first failed: the bridge plugin's DEL removes the interface
        // before the masquerade rules, and fails when there are none (an ADD cut short before
        // making them) — the second try, finding no interface, releases the rest.
        for _ in 1...2 {
            failed = Self.runDelete(plugins, name: record["name"] as? String ?? networkID, result: record["result"] as? [String: Any],
                                    containerID: containerID, netns: record["netns"] as? String ?? netns,
                                    ifname: record["ifname"] as? String ?? "eth0")
            if failed.isEmpty { break }
        }
        guard failed.isEmpty else { return failed.joined(separator: "; ") }
        try? FileManager.default.removeItem(atPath: file(networkID))
        return nil
    }

    /// DEL of `plugins` in reverse; the errors of those that failed.
    private static func runDelete(_ plugins: [[String: Any]], name: String, result: [String: Any]?,
                                  containerID: String, netns: String, ifname: String) -> [String] {
        var failed: [String] = []
        for plugin in plugins.reversed() {
            do {
                _ = try CNIPlugin(type: plugin["type"] as? String ?? "").run(
                    .del, containerID: containerID, netns: netns, ifname: ifname,
                    config: CNIConfig.stdin(plugin, name: name, previous: result))
            } catch {
                failed.append("\(error)")
            }
        }
        return failed
    }

    /// What a completed ADD recorded for `network`: the endpoint (a new endpoint id) and the
    /// ports its portmap plugin published; nil when no completed ADD is recorded.
    func recorded(_ network: Engine_NetworkInspect) -> (endpoint: Engine_EndpointSettings, ports: [Engine_PortBinding])? {
        guard let record = read(network.id), let result = record["result"] as? [String: Any] else { return nil }
        let mappings = (record["plugins"] as? [[String: Any]] ?? [])
            .compactMap { (($0["runtimeConfig"] as? [String: Any])?["portMappings"]) as? [[String: Any]] }.joined()
        let ports = mappings.map { mapping in
            var binding = Engine_PortBinding()
            binding.containerPort = "\((mapping["containerPort"] as? Int) ?? 0)/\(mapping["protocol"] as? String ?? "tcp")"
            let host = mapping["hostIP"] as? String ?? ""
            binding.hostIp = host.isEmpty ? "0.0.0.0" : host
            binding.hostPort = "\((mapping["hostPort"] as? Int) ?? 0)"
            return binding
        }
        return (Self.endpoint(network, result: result), ports)
    }

    /// The endpoint inspect shows, from a CNI result (CNIResult), with a new endpoint id.
    static func endpoint(_ network: Engine_NetworkInspect, result: [String: Any]) -> Engine_EndpointSettings {
        var endpoint = CNIResult.endpoint(network, result: result)
        endpoint.endpointID = Engine.newID()
        return endpoint
    }
}
