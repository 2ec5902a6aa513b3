// NetworkEtc: a container's /etc/hosts and /etc/resolv.conf once its network is known (written
// at each start, before the task exists, into the files EtcFiles made at create): the loopback
// names, --add-host entries ("host-gateway" is the network's gateway), the container's address
// with its hostname and aliases; the host's resolvers minus loopback ones or --dns, --dns-search
// and --dns-option replacing the host's search and options lines. --network host gets the host's
// own files, as docker does.
import API
import Errdefs
import Foundation
import Glibc
import Sys

enum NetworkEtc {
    static let loopbackHosts = """
        127.0.0.1\tlocalhost
        ::1\tlocalhost ip6-localhost ip6-loopback
        fe00::0\tip6-localnet
        ff00::0\tip6-mcastprefix
        ff02::1\tip6-allnodes
        ff02::2\tip6-allrouters

        """

    static func hosts(hostname: String, address: String, aliases: [String], gateway: String,
                      extraHosts: [String]) throws(CoreError) -> String {
        var text = loopbackHosts
        for entry in extraHosts {
            guard let colon = entry.firstIndex(of: ":") else { throw CoreError(.invalidArgument, "invalid argument \"\(entry)\" for \"--add-host\": expected name:ip") }
            let name = entry[..<colon], value = entry[entry.index(after: colon)...]
            let ip = value == "host-gateway" ? gateway : String(value)
            guard !name.isEmpty, !ip.isEmpty else { throw CoreError(.invalidArgument, "invalid argument \"\(entry)\" for \"--add-host\"") }
            text += "\(ip)\t\(name)\n"
        }
        if !address.isEmpty {
            text += ([address, hostname] + aliases.filter { $0 != hostname }).joined(separator: "\t") + "\n"
        }
        return text
    }

    static func resolvConf(host: String, dns: [String], search: [String], options: [String]) -> String {
        var text = EtcFiles.resolvConf(from: host)
        guard !dns.isEmpty || !search.isEmpty || !options.isEmpty else { return text }
        var lines = text.split(separator: "\n").map(String.init)
        func replace(_ keyword: String, with values: [String]) {
            guard !values.isEmpty else { return }
            lines.removeAll { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) == keyword }
            lines += keyword == "nameserver" ? values.map { "nameserver \($0)" } : ["\(keyword) " + values.joined(separator: " ")]
        }
        replace("nameserver", with: dns)
        replace("search", with: search)
        replace("options", with: options)
        text = lines.joined(separator: "\n") + "\n"
        return text
    }

    /// Writes `text` into the file at `path`, 0644 (any user in the container reads it), made if
    /// missing, else truncated in place (a bind mount of it keeps seeing it). Not fsynced: the
    /// container's record, written durably, is what a crash must keep, and these files are
    /// written again at every start.
    static func write(_ text: String, to path: String) throws(CoreError) {
        let file = try FileDescriptor.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        try file.write(text)
        try file.close()
    }
}
