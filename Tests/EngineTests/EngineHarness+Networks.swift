// EngineHarness+Networks: the network half of the harness's cleanup — whatever the test's engine
// left (it may be dead): CNI DEL for every attachment recorded under its data-root (veths,
// masquerade and port rules), then each of its networks' bridge and firewall chain. Its pinned
// namespaces are mounts under the work directory, detached by the main cleanup.
import API
@testable import EngineCore
import Foundation
import SwiftProtobuf

extension EngineHarness {
    func cleanupNetworks() {
        let containers = "\(work)/data/containers"
        for id in (try? FileManager.default.contentsOfDirectory(atPath: containers)) ?? [] where id.count == 64 {
            let attachment = NetworkAttachment(containerID: id, netns: "\(work)/run/netns/\(id)", directory: "\(containers)/\(id)")
            for network in attachment.attachedNetworkIDs() { attachment.delete(network) }
        }
        for network in networkRecords() {
            if let bridge = network.options[CNIConfig.bridgeOption] { BridgeFirewall.remove(bridge: bridge) }
        }
    }

    /// The engine's network records, read from its data-root.
    func networkRecords() -> [Engine_NetworkInspect] {
        let directory = "\(work)/data/networks/all"
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { name in
            guard name.hasSuffix(".pb"), let data = FileManager.default.contents(atPath: "\(directory)/\(name)") else { return nil }
            return try? Engine_NetworkInspect(serializedBytes: data)
        }
    }
}
