// EngineNetworkChaosTests: what `CHAOS_NETWORK=mix scripts/chaos.sh` found, each kept as a test.
// An engine killed in the middle of a CNI ADD leaves nothing on the host once it is back (the
// attachment is recorded before the first plugin runs, so the restart's DEL knows what to undo);
// a task adopted after an engine crash shows the address and published port it really has; a
// start whose answer a dying supervisor took along runs the container once and keeps its network
// (it used to delete the task and run it again, or tear the running container's network down);
// a DEL that finds no masquerade rules (an ADD cut short before making them) still releases the
// attachment. Only the test engine's bridges, namespaces and loopback are touched.
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .offPool) struct EngineNetworkChaosTests {
    static func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// iptables lines (filter and nat) of container `id` on any of the engine's networks: those
    /// naming it, and CNI's chains for it (masquerade "CNI-", portmap "CNI-DN-": sha512 of
    /// network name + container id), which name neither.
    static func rules(of id: String, _ h: EngineHarness) throws -> [String] {
        var needles = [id]
        for network in h.networkRecords() {
            let hash = try EngineNetworkTests.run("/bin/sh", ["-c", "printf '%s%s' \(network.id) \(id) | sha512sum | cut -c1-24"])
            let hex = trimmed(hash)
            needles += ["CNI-\(hex)", "CNI-DN-\(hex.prefix(21))"]
        }
        return try EngineNetworkTests.hostState(needles).rules
    }

    /// Lease files of the engine's host-local IPAM.
    static func leases(_ h: EngineHarness) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: "\(h.work)/data/networks/ipam")) ?? [])
            .filter { $0.split(separator: "/").count == 2 && $0.split(separator: "/").last?.first?.isNumber == true }
    }

    /// The IPv4 address on eth0 in the namespace at `sandbox` ("" when there is none).
    static func eth0Address(_ sandbox: String) throws -> String {
        let out = try EngineNetworkTests.run("/usr/bin/nsenter", ["--net=" + sandbox, "/usr/sbin/ip", "-4", "-o", "addr", "show", "dev", "eth0"])
        let field = out.split(separator: " ").first { $0.contains("/") && $0.first?.isNumber == true }
        return field.map { String($0.split(separator: "/")[0]) } ?? ""
    }

    /// Inspect's address equals the one on eth0 in the container's namespace, and is not empty.
    func expectAddressIsReal(_ h: EngineHarness, _ container: String) async throws {
        let shown = Self.trimmed(try await h.berth(["inspect", "-f", "{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.SandboxKey}}", container]).out)
        let parts = shown.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        #expect(parts.count == 2 && !parts[0].isEmpty, "inspect: \(shown)")
        guard parts.count == 2 else { return }
        let actual = try Self.eth0Address(parts[1])
        #expect(actual == parts[0], "inspect says \(parts[0]), eth0 has '\(actual)'")
    }

    @Test(arguments: ["engine-cni-add-recorded", "engine-cni-add-bridge"])
    func anEngineKilledMidAddLeavesNothingOnTheHost(fault: String) async throws {
        try await withEngine { h in
            let bridges = { h.networkRecords().compactMap { $0.options["com.docker.network.bridge.name"] } }
            #expect(try await h.berth(["create", "--name", "cut", "-p", "127.0.0.1::80", "busybox", "sleep", "300"]).status == 0)
            let id = Self.trimmed(try await h.berth(["inspect", "-f", "{{.Id}}", "cut"]).out)
            h.killEngine()
            // The engine kills itself once the ADD is recorded, or once the bridge plugin's ADD
            // (veth, address, lease, masquerade) is done and portmap's is next.
            try await h.start(environment: ["BERTH_FAULT=\(fault)"])
            #expect(try await h.berth(["start", "cut"]).status != 0)
            #expect(await h.engineExited(), "the fault point was not reached")
            if fault == "engine-cni-add-bridge" { #expect(!(try Self.rules(of: id, h)).isEmpty, "the bridge plugin made no rule") }
            try await h.start()
            let clean = try await eventually(timeout: .seconds(20)) {
                try Self.rules(of: id, h).isEmpty && Self.leases(h).isEmpty && !FileManager.default.fileExists(atPath: "\(h.work)/run/netns/\(id)")
            }
            let left = try Self.rules(of: id, h)
            #expect(clean, "rules: \(left), leases: \(Self.leases(h))\n\(h.engineLog.suffix(3000))")
            #expect(EngineNetworkTests.linksAttached(to: bridges()).isEmpty, "\(EngineNetworkTests.linksAttached(to: bridges()))")
            // It starts normally afterwards, and its removal leaves nothing either.
            #expect(try await h.berth(["start", "cut"]).status == 0)
            try await expectAddressIsReal(h, "cut")
            #expect(try await h.berth(["rm", "-f", "cut"]).status == 0)
            #expect(try Self.rules(of: id, h).isEmpty && Self.leases(h).isEmpty)
            #expect(EngineNetworkTests.linksAttached(to: bridges()).isEmpty)
        }
    }

    @Test func aTaskAdoptedAfterAnEngineCrashShowsItsAddressAndPort() async throws {
        try await withEngine { h in
            #expect(try await h.berth(["create", "--name", "web", "-p", "127.0.0.1::80", "busybox", "sh", "-c",
                                       "echo adopted >/tmp/index.html; exec httpd -f -p 80 -h /tmp"]).status == 0)
            h.killEngine()
            // The engine kills itself after the task started, before its record says so.
            try await h.start(environment: ["BERTH_FAULT=engine-task-started"])
            #expect(try await h.berth(["start", "web"]).status != 0)
            #expect(await h.engineExited(), "the fault point was not reached")
            try await h.start()
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}}", "web"]).out == "running\n")
            try await expectAddressIsReal(h, "web")
            let published = Self.trimmed(try await h.berth(["port", "web", "80"]).out)
            #expect(published.hasPrefix("127.0.0.1:"), "port: \(published)")
            let port = UInt16(published.split(separator: ":").last ?? "") ?? 0
            var response = ""
            let answered = await eventually(timeout: .seconds(10)) {
                response = EngineNetworkTests.httpGet(port: port)
                return response.contains("adopted")
            }
            #expect(answered, "GET 127.0.0.1:\(port): \(response)")
        }
    }

    @Test func aStartWhoseAnswerTheSupervisorLostRunsOnceAndKeepsItsNetwork() async throws {
        try await withEngine { h in
            h.killEngine()
            let supervisor = try #require(h.supervisorPID)
            kill(supervisor, SIGKILL)  // the engine starts a new one, with the fault armed
            // The supervisor kills itself after each container's start, before answering it.
            try await h.start(environment: ["BERTH_FAULT=task-start-after-shim-start"])
            let armed = try #require(h.supervisorPID)
            let short = try await h.berth(["run", "--network", "none", "--name", "short", "busybox", "sh", "-c", "echo once; exit 5"])
            #expect(short.status == 5 && short.out == "once\n", "run: \(short.status) \(short.out) \(short.err)\n\(h.engineLog.suffix(3000))")
            #expect(h.supervisorPID != nil && h.supervisorPID != armed, "the fault point was not reached")
            #expect(try await h.berth(["logs", "short"]).out == "once\n")
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "short"]).out == "exited 5\n")

            let long = try await h.berth(["run", "-d", "--name", "long", "busybox", "sh", "-c", "echo up; exec sleep 300"])
            #expect(long.status == 0, "run -d: \(long.err)\n\(h.engineLog.suffix(3000))")
            #expect(try await h.berth(["inspect", "-f", "{{.State.Status}}", "long"]).out == "running\n")
            try await expectAddressIsReal(h, "long")
            #expect(try await h.berth(["logs", "long"]).out == "up\n")
        }
    }

    @Test func aDeleteFindingNoMasqueradeRulesStillReleasesTheAttachment() async throws {
        try await withEngine { h in
            let id = Self.trimmed(try await h.berth(["run", "-d", "busybox", "sleep", "300"]).out)
            // What an ADD killed between the address and the masquerade rules leaves: no rules.
            let rules = try Self.rules(of: id, h).filter { $0.hasPrefix("-A ") }
            #expect(!rules.isEmpty)
            for rule in rules.filter({ $0.hasPrefix("-A POSTROUTING") }) + rules.filter({ !$0.hasPrefix("-A POSTROUTING") }) {
                _ = try EngineNetworkTests.run("/bin/sh", ["-c", "iptables -w -t nat -D \(rule.dropFirst(3))"])
            }
            for chain in try Self.rules(of: id, h).filter({ $0.hasPrefix(":") }) {
                let name = chain.dropFirst().split(separator: " ")[0]
                _ = try EngineNetworkTests.run("/usr/sbin/iptables", ["-w", "-t", "nat", "-X", String(name)])
            }
            #expect(try Self.rules(of: id, h).isEmpty)
            #expect(try await h.berth(["stop", "-t", "0", id]).status == 0)
            let records = try FileManager.default.contentsOfDirectory(atPath: "\(h.work)/data/containers/\(id)").filter { $0.hasPrefix("cni-") }
            #expect(records.isEmpty, "attachment kept: \(records)\n\(h.engineLog.suffix(2000))")
            #expect(!h.engineLog.contains("network teardown incomplete"), "\(h.engineLog.suffix(2000))")
            #expect(Self.leases(h).isEmpty, "\(Self.leases(h))")
        }
    }
}
