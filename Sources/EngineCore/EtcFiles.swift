// EtcFiles: the /etc/hostname, /etc/hosts and /etc/resolv.conf the engine writes for a container
// (in its directory under the data root) and binds into it, as docker does: the hostname, the
// loopback names, and the host's resolvers minus loopback ones (unreachable from the container's
// network namespace), falling back to public resolvers when none is left.
import Errdefs
import Foundation

enum EtcFiles {
    struct Paths {
        var hostname: String
        var hosts: String
        var resolvConf: String
    }

    static func write(in directory: String, hostname: String, hostResolvConf: String = "/etc/resolv.conf") throws(CoreError) -> Paths {
        let paths = Paths(hostname: directory + "/hostname", hosts: directory + "/hosts", resolvConf: directory + "/resolv.conf")
        let hosts = NetworkEtc.loopbackHosts
        let host = (try? String(contentsOfFile: hostResolvConf, encoding: .utf8)) ?? ""
        try NetworkEtc.write(hostname + "\n", to: paths.hostname)
        try NetworkEtc.write(hosts, to: paths.hosts)
        try NetworkEtc.write(resolvConf(from: host), to: paths.resolvConf)
        return paths
    }

    /// The host's resolv.conf without loopback nameservers; 8.8.8.8 and 8.8.4.4 when none is left.
    static func resolvConf(from host: String) -> String {
        var lines: [String] = []
        var nameservers = 0
        for line in host.split(separator: "\n", omittingEmptySubsequences: false) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.first == "nameserver" {
                let address = fields.count > 1 ? String(fields[1]) : ""
                if address.hasPrefix("127.") || address == "::1" || address.isEmpty { continue }
                nameservers += 1
            }
            lines.append(String(line))
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        if nameservers == 0 { lines += ["nameserver 8.8.8.8", "nameserver 8.8.4.4"] }
        return lines.joined(separator: "\n") + "\n"
    }
}
