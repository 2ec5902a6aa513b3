// CNIResult: what a CNI plugin's ADD result (the JSON it prints) says about a container's place on
// a network — its address and prefix, the gateway, the MAC of its interface — as inspect's
// EndpointSettings. Plugins are outside berth's control: any output gives an endpoint (possibly
// empty), never a crash (fuzz target `cni`).
import API

public enum CNIResult {
    /// The endpoint inspect shows, from a CNI result: the address in the sandbox, gateway, MAC.
    public static func endpoint(_ network: Engine_NetworkInspect, result: [String: Any]) -> Engine_EndpointSettings {
        var endpoint = Engine_EndpointSettings()
        endpoint.networkID = network.id
        let interfaces = result["interfaces"] as? [[String: Any]] ?? []
        if let ip = (result["ips"] as? [[String: Any]])?.first {
            let address = (ip["address"] as? String ?? "").split(separator: "/")
            endpoint.ipAddress = address.first.map(String.init) ?? ""
            endpoint.ipPrefixLen = address.count > 1 ? Int32(address[1]) ?? 0 : 0
            endpoint.gateway = ip["gateway"] as? String ?? ""
            if let index = ip["interface"] as? Int, interfaces.indices.contains(index) {
                endpoint.macAddress = interfaces[index]["mac"] as? String ?? ""
            }
        }
        return endpoint
    }
}
