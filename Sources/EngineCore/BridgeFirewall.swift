// BridgeFirewall: what the engine itself sets up on the host for a bridge network, next to what
// the CNI plugins do — an iptables chain named after the bridge, jumped to from FORWARD, that
// keeps networks apart as docker's isolation chains do (traffic from this bridge to another
// berth bridge "bb-*" is dropped; an --internal network reaches nothing outside itself) and lets
// the rest through even when FORWARD's policy is DROP; and the bridge's removal with its network.
import Errdefs
import Foundation
import Glibc
import Sys

enum BridgeFirewall {
    private static let lock = NSLock()

    /// Runs a host tool (iptables, ip) and waits; throws with its stderr when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], quiet: Bool = false) throws(CoreError) -> Bool {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        let err = (try? Linux.memfdCreate(name: "host-tool-stderr").release()) ?? -1
        defer { close(null); if err >= 0 { close(err) } }
        var spawn = Spawn(executable: executable, arguments: arguments, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        spawn.fileDescriptors = [null, null, err >= 0 ? err : null]
        let status = try Spawn.waitForExit(try spawn.start())
        if case .exited(0) = status { return true }
        if quiet { return false }
        var message = ""
        if err >= 0 {
            message = String(decoding: CNIPlugin.contents(err), as: UTF8.self)
        }
        throw CoreError(.internal, "\(executable) \(arguments.joined(separator: " ")) failed (\(status)): \(message)")
    }

    /// Makes `bridge`'s chain and its FORWARD jump unless they exist.
    static func ensure(bridge: String, internal isInternal: Bool) throws(CoreError) {
        lock.lock()
        defer { lock.unlock() }
        do {
            if try run("iptables", ["-w", "-C", "FORWARD", "-j", bridge], quiet: true) { return }
            _ = try run("iptables", ["-w", "-N", bridge], quiet: true)
            try run("iptables", ["-w", "-F", bridge])
            var rules: [[String]] = [
                ["-i", bridge, "-o", bridge, "-j", "ACCEPT"],
                ["-i", bridge, "-o", "bb-+", "-j", "DROP"],
                ["-i", "bb-+", "-o", bridge, "-j", "DROP"],
            ]
            let verdict = isInternal ? "DROP" : "ACCEPT"
            rules += [["-i", bridge, "-j", verdict], ["-o", bridge, "-j", verdict]]
            for rule in rules { try run("iptables", ["-w", "-A", bridge] + rule) }
            try run("iptables", ["-w", "-I", "FORWARD", "1", "-j", bridge])
        }
    }

    /// Removes `bridge`'s chain, its jump and the bridge itself; absent parts are fine.
    static func remove(bridge: String) {
        lock.withLock {
            while (try? run("iptables", ["-w", "-D", "FORWARD", "-j", bridge], quiet: true)) == true {}
            _ = try? run("iptables", ["-w", "-F", bridge], quiet: true)
            _ = try? run("iptables", ["-w", "-X", bridge], quiet: true)
            _ = try? run("ip", ["link", "del", bridge], quiet: true)
        }
    }
}
