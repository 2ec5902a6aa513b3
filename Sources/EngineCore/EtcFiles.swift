// EtcFiles: the /etc/hostname, /etc/hosts and /etc/resolv.conf the engine writes for a container
// (in its directory under the data root) and binds into it, as docker does: the hostname, the
// loopback names, and the host's resolvers minus loopback ones (unreachable from the container's
// network namespace), falling back to public resolvers when none is left.
import Errdefs
import Foundation
import Glibc
import Sys

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
        try writeFile(hostname + "\n", to: paths.hostname)
        try writeFile(hosts, to: paths.hosts)
        try writeFile(resolvConf(from: host), to: paths.resolvConf)
        return paths
    }

    /// A new file in the container's new directory, 0644 (any user in the container reads it). Not
    /// fsynced: the container's record, written durably after it, is what a crash must keep, and
    /// these files are written again on every start (NetworkEtc).
    private static func writeFile(_ text: String, to path: String) throws(CoreError) {
        let file = try FileDescriptor.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        try file.write(text)
        try file.close()
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
