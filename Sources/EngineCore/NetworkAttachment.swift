// NetworkAttachment: one container's CNI attachments — ADD runs the network's chain plugin by
// plugin (each gets the previous result as prevResult) and keeps what it ran and got in
// <data-root>/containers/<id>/cni-<network id>.json, so DEL later (after a stop, an `rm`, or an
// engine crash and restart) runs the same plugins in reverse with the same config and result,
// even when the network's record is gone. A failed ADD undoes itself. Blocking: runs off the
// engine's actor (Engine+Networks.swift).
import API
import Errdefs
import Foundation

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
        var previous: [String: Any]?
        var done: [[String: Any]] = []
        do {
            for plugin in plugins {
                let type = plugin["type"] as? String ?? ""
                previous = try CNIPlugin(type: type).run(.add, containerID: containerID, netns: netns, ifname: ifname,
                                                         config: CNIConfig.stdin(plugin, name: name, previous: previous))
                done.append(plugin)
            }
        } catch {
            Self.runDelete(done + (plugins.count > done.count ? [plugins[done.count]] : []), name: name, result: previous,
                           containerID: containerID, netns: netns, ifname: ifname)
            throw error
        }
        let record: [String: Any] = ["name": name, "ifname": ifname, "netns": netns, "plugins": plugins, "result": previous ?? [:]]
        do {
            let data = try JSONSerialization.data(withJSONObject: record)
            try data.write(to: URL(fileURLWithPath: file(network.id)), options: .atomic)
        } catch {
            Self.runDelete(plugins, name: name, result: previous, containerID: containerID, netns: netns, ifname: ifname)
            throw CoreError(.internal, "cannot record the CNI attachment \(file(network.id)): \(error.localizedDescription)")
        }
        return Self.endpoint(network, result: previous ?? [:])
    }

    /// Runs DEL for the recorded attachment to `networkID` and forgets it; false if a plugin failed
    /// (the record is kept for a later try).
    @discardableResult
    func delete(_ networkID: String) -> Bool {
        let path = file(networkID)
        guard let data = FileManager.default.contents(atPath: path),
              let record = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            try? FileManager.default.removeItem(atPath: path)
            return true
        }
        let plugins = record["plugins"] as? [[String: Any]] ?? []
        let ok = Self.runDelete(plugins, name: record["name"] as? String ?? networkID, result: record["result"] as? [String: Any],
                                containerID: containerID, netns: record["netns"] as? String ?? netns,
                                ifname: record["ifname"] as? String ?? "eth0")
        if ok { try? FileManager.default.removeItem(atPath: path) }
        return ok
    }

    @discardableResult
    private static func runDelete(_ plugins: [[String: Any]], name: String, result: [String: Any]?,
                                  containerID: String, netns: String, ifname: String) -> Bool {
        var ok = true
        for plugin in plugins.reversed() {
            do {
                _ = try CNIPlugin(type: plugin["type"] as? String ?? "").run(
                    .del, containerID: containerID, netns: netns, ifname: ifname,
                    config: CNIConfig.stdin(plugin, name: name, previous: result))
            } catch {
                ok = false
            }
        }
        return ok
    }

    /// The endpoint inspect shows, from a CNI result (CNIResult), with a new endpoint id.
    static func endpoint(_ network: Engine_NetworkInspect, result: [String: Any]) -> Engine_EndpointSettings {
        var endpoint = CNIResult.endpoint(network, result: result)
        endpoint.endpointID = Engine.newID()
        return endpoint
    }
}
