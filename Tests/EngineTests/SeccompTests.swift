// SeccompTests: the seccomp filter berth-engine puts on containers. The profile builders are
// checked as data (capabilities, architecture, kernel, docker's profile format and its errors);
// then real busybox containers show the filter at work: namespaces and mounts refused by default
// and allowed by --privileged, seccomp=unconfined + SYS_ADMIN or --cap-add SYS_ADMIN, ordinary
// programs unaffected, a profile file of the user's own applied (and kept after the file goes),
// and the kernel reporting filter mode 2 in /proc/self/status.
@testable import EngineCore
import Foundation
import OCI
import TestSupport
import Testing

@Suite(.serialized, .offPool) struct SeccompTests {
    static let defaultCaps = DockerSpec.defaultCapabilities

    func allowed(_ profile: LinuxSeccomp) -> [String] {
        (profile.syscalls ?? []).filter { $0.action == "SCMP_ACT_ALLOW" && ($0.args ?? []).isEmpty }.flatMap(\.names)
    }

    func rules(_ profile: LinuxSeccomp, for name: String) -> [LinuxSyscall] {
        (profile.syscalls ?? []).filter { $0.names.contains(name) }
    }

    // MARK: the default profile as data

    @Test func defaultProfileDeniesWithEPERMAndCoversTheCompatABIs() {
        let profile = DefaultSeccompProfile.make(capabilities: Self.defaultCaps, architecture: .x86_64, kernel: KernelVersion(6, 1))
        #expect(profile.defaultAction == "SCMP_ACT_ERRNO" && profile.defaultErrnoRet == 1)
        #expect(profile.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        let names = allowed(profile)
        #expect(Set(names).count == names.count, "a name is allowed twice")
        for name in ["read", "openat", "execve", "wait4", "futex", "chown32", "socketcall", "arch_prctl", "ptrace", "chroot"] {
            #expect(names.contains(name), "\(name) should be allowed")
        }
        for name in ["mount", "umount2", "unshare", "setns", "clone", "clone3", "reboot", "init_module", "kexec_load",
                     "open_by_handle_at", "bpf", "keyctl", "add_key", "set_tls", "socket", "personality"] {
            #expect(!names.contains(name), "\(name) should not be allowed unconditionally")
        }
        // clone without namespace flags; clone3 answered ENOSYS so libc falls back to clone.
        let clone = rules(profile, for: "clone")
        #expect(clone == [LinuxSyscall(names: ["clone"], action: "SCMP_ACT_ALLOW",
                                       args: [LinuxSeccompArg(index: 0, value: 0x7E02_0000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")])])
        #expect(rules(profile, for: "clone3") == [LinuxSyscall(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38)])
        // socket: every family but AF_ALG (38) and AF_VSOCK (40).
        #expect(rules(profile, for: "socket").map { $0.args?.first.map { "\($0.op) \($0.value)" } ?? "" }
            == ["SCMP_CMP_LT 38", "SCMP_CMP_EQ 39", "SCMP_CMP_GT 40"])
        #expect(rules(profile, for: "personality").compactMap { $0.args?.first?.value } == [0, 8, 0x20000, 0x20008, 0xffff_ffff])
    }

    @Test func capabilitiesUnlockTheirSyscalls() {
        let admin = DefaultSeccompProfile.make(capabilities: Self.defaultCaps + ["CAP_SYS_ADMIN"], architecture: .x86_64)
        let names = allowed(admin)
        for name in ["mount", "umount2", "unshare", "setns", "clone", "clone3", "sethostname", "fsopen"] {
            #expect(names.contains(name), "\(name) should be allowed with CAP_SYS_ADMIN")
        }
        #expect(rules(admin, for: "clone3").count == 1 && rules(admin, for: "clone").count == 1)  // only the plain allow
        let ptrace = allowed(DefaultSeccompProfile.make(capabilities: ["CAP_SYS_PTRACE", "CAP_SYS_TIME"], architecture: .x86_64))
        #expect(ptrace.contains("kcmp") && ptrace.contains("pidfd_getfd") && ptrace.contains("clock_settime"))
        #expect(!ptrace.contains("chroot"))  // no CAP_SYS_CHROOT
        let everything = allowed(DefaultSeccompProfile.make(capabilities: DockerSpec.knownCapabilities, architecture: .x86_64))
        #expect(Set(everything).count == everything.count)
        #expect(everything.contains("reboot") && everything.contains("syslog") && everything.contains("bpf"))
    }

    @Test func architectureAndKernelDecideTheirRules() {
        let s390 = DefaultSeccompProfile.make(capabilities: Self.defaultCaps, architecture: .s390x)
        #expect(s390.architectures == ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"])
        #expect(rules(s390, for: "clone").first?.args?.first?.index == 1)  // flags are clone's 2nd argument there
        #expect(allowed(s390).contains("s390_runtime_instr") && !allowed(s390).contains("arch_prctl"))
        let arm = allowed(DefaultSeccompProfile.make(capabilities: Self.defaultCaps, architecture: .aarch64))
        #expect(arm.contains("set_tls") && arm.contains("cacheflush") && !arm.contains("modify_ldt"))
        let old = allowed(DefaultSeccompProfile.make(capabilities: Self.defaultCaps, architecture: .x86_64, kernel: KernelVersion(4, 4)))
        #expect(!old.contains("ptrace") && !old.contains("process_vm_readv"))
        #expect(KernelVersion(release: "6.8.0-45-generic") == KernelVersion(6, 8))
        #expect(KernelVersion(release: "5.15") == KernelVersion(5, 15) && KernelVersion(release: "x") == nil)
        #expect(KernelVersion.running >= KernelVersion(3, 0))
    }

    // MARK: docker's profile format

    @Test func dockerProfilesResolveByCapabilityArchitectureAndKernel() throws {
        let json = """
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
         "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                     {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
         "syscalls": [
           {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "always"},
           {"name": "mount", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
           {"name": "clone3", "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
           {"name": "arch_prctl", "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
           {"name": "set_tls", "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
           {"name": "ptrace", "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
           {"name": "personality", "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}
         ]}
        """
        let profile = try DockerSeccompProfile.parse(json)
        let plain = try #require(profile.resolve(capabilities: Self.defaultCaps, architecture: .x86_64, kernel: KernelVersion(6, 1)))
        #expect(plain.defaultAction == "SCMP_ACT_ERRNO" && plain.defaultErrnoRet == 1)
        #expect(plain.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
        #expect((plain.syscalls ?? []).map { $0.names.joined(separator: ",") } == ["read,write", "clone3", "arch_prctl", "ptrace", "personality"])
        #expect(plain.syscalls?[1].errnoRet == 38)
        #expect(plain.syscalls?[4].args == [LinuxSeccompArg(index: 0, value: 8, valueTwo: 0, op: "SCMP_CMP_EQ")])
        let admin = try #require(profile.resolve(capabilities: ["CAP_SYS_ADMIN"], architecture: .aarch64, kernel: KernelVersion(4, 4)))
        #expect(admin.architectures == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        #expect((admin.syscalls ?? []).map { $0.names.joined(separator: ",") } == ["read,write", "mount", "set_tls", "personality"])
        // Neither a default action nor rules: docker's way of saying "no filter".
        #expect(try DockerSeccompProfile.parse("{}").resolve(capabilities: []) == nil)
    }

    @Test func badDockerProfilesAreRefusedWithTheReason() {
        func failure(_ json: String) -> String {
            do { _ = try DockerSeccompProfile.parse(json); return "parsed" } catch { return error.message }
        }
        #expect(failure("{\"defaultAction\": ") .hasPrefix("decoding seccomp profile failed"))
        #expect(failure(#"{"defaultAction": "SCMP_ACT_NOPE"}"#).contains("defaultAction \"SCMP_ACT_NOPE\" is not a seccomp action"))
        #expect(failure(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "ALLOW"}]}"#)
            .contains("syscalls[0].action \"ALLOW\""))
        #expect(failure(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ALLOW"}]}"#)
            .contains("both 'name' and 'names'"))
        let log = #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "#
        #expect(failure(log + #""args": [{"index": 0, "value": 1, "op": "EQ"}]}]}"#).contains("syscalls[0].args[0].op \"EQ\""))
        #expect(failure(log + #""args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#).contains("syscalls[0].args[0].index 6"))
        #expect(failure(log + #""includes": {"minKernel": "4"}}]}"#)
            .contains("syscalls[0].includes.minKernel: invalid kernel version \"4\""))
        #expect(failure(#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"], "#
                        + #""archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}"#).contains("both 'architectures' and 'archMap'"))
        #expect(failure(#"{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#).contains("defaultAction is missing"))
        #expect(failure(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]}"#).contains("syscalls[0].action is missing"))
    }

    @Test func securityOptionsChooseTheProfile() throws {
        #expect(DockerSpec.seccompChoice([]) == nil)
        #expect(DockerSpec.seccompChoice(["no-new-privileges", "seccomp:unconfined"]) == .unconfined)
        #expect(DockerSpec.seccompChoice(["seccomp=unconfined", "seccomp=builtin"]) == .builtin)
        #expect(throws: Error.self) { try DockerSpec.securityOptions(["seccomp=relative/profile.json"]) }
        #expect(throws: Error.self) { try DockerSpec.securityOptions(["seccomp=/nonexistent/profile.json"]) }
        #expect(throws: Error.self) { try DockerSpec.securityOptions(["apparmor=unconfined"]) }
        #expect(throws: Error.self) { try DockerSpec.securityOptions(["seccomp="]) }
        let inline = #"{"defaultAction": "SCMP_ACT_ALLOW"}"#
        #expect(try DockerSpec.securityOptions(["no-new-privileges", "seccomp=" + inline]) == ["no-new-privileges", "seccomp=" + inline])
    }

    // MARK: containers

    @Test func theDefaultProfileStopsNamespacesAndMountsButNotOrdinaryWork() async throws {
        try await withEngine { h in
            let status = try await h.berth(["run", "--rm", "busybox", "grep", "^Seccomp:", "/proc/self/status"])
            #expect(status.status == 0 && status.out == "Seccomp:\t2\n", "\(status.err)")
            // A user namespace needs no capability: only the filter refuses it.
            let userns = try await h.berth(["run", "--rm", "busybox", "unshare", "-U", "true"])
            #expect(userns.status != 0 && userns.err.contains("Operation not permitted"), "\(userns.status) \(userns.err)")
            let mountns = try await h.berth(["run", "--rm", "busybox", "unshare", "-m", "true"])
            #expect(mountns.status != 0 && mountns.err.contains("Operation not permitted"), "\(mountns.err)")
            let mount = try await h.berth(["run", "--rm", "busybox", "mount", "-t", "tmpfs", "none", "/tmp"])
            #expect(mount.status != 0 && mount.err.contains("permission denied"), "\(mount.err)")  // busybox's words for EPERM
            let ordinary = try await h.berth(["run", "--rm", "busybox", "sh", "-c", "ls / >/dev/null && id -u && sleep 0.1 && "
                                        + "wget -h 2>&1 | grep -c Usage; echo x | tee /tmp/f >/dev/null; cat /tmp/f"])
            #expect(ordinary.status == 0 && ordinary.out == "0\n1\nx\n", "\(ordinary.out) \(ordinary.err)")
            // Fork, threads of a shell pipeline, a non-root user: all through the filter.
            let user = try await h.berth(["run", "--rm", "-u", "1000:1000", "busybox", "sh", "-c", "id -u; (sleep 0.1 &) ; wait; echo ok"])
            #expect(user.status == 0 && user.out == "1000\nok\n", "\(user.err)")
        }
    }

    @Test func privilegedUnconfinedOrSysAdminAllowNamespacesAndMounts() async throws {
        try await withEngine { h in
            let script = "unshare -m true && mount -t tmpfs none /tmp && touch /tmp/x && grep -c ' /tmp tmpfs ' /proc/mounts"
            for flags in [["--privileged"], ["--security-opt", "seccomp=unconfined", "--cap-add", "SYS_ADMIN"],
                          ["--cap-add", "SYS_ADMIN"]] {
                let run = try await h.berth(["run", "--rm"] + flags + ["busybox", "sh", "-c", script])
                #expect(run.status == 0 && run.out == "1\n", "\(flags): \(run.err)")
            }
            let privileged = try await h.berth(["run", "--rm", "--privileged", "busybox", "grep", "^Seccomp:", "/proc/self/status"])
            #expect(privileged.out == "Seccomp:\t0\n")
            let unconfined = try await h.berth(["run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "sh", "-c",
                                          "grep ^Seccomp: /proc/self/status; unshare -U true && echo userns"])
            #expect(unconfined.out == "Seccomp:\t0\nuserns\n", "\(unconfined.err)")
        }
    }

    @Test func aProfileFileOfTheUsersOwnIsApplied() async throws {
        try await withEngine { h in
            let path = "\(h.work)/deny-mkdir.json"
            try """
            {"defaultAction": "SCMP_ACT_ALLOW",
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "comment": "no new directories"}]}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            let option = ["--security-opt", "seccomp=\(path)"]
            let denied = try await h.berth(["run", "--rm"] + option + ["busybox", "mkdir", "/x"])
            #expect(denied.status != 0 && denied.err.contains("Operation not permitted"), "\(denied.err)")
            let rest = try await h.berth(["run", "--rm"] + option + ["busybox", "sh", "-c",
                                    "touch /y && ls /y && id -u && unshare -U true && grep ^Seccomp: /proc/self/status"])
            #expect(rest.status == 0 && rest.out == "/y\n0\nSeccomp:\t2\n", "\(rest.err)")

            // The profile is stored with the container: removing the file changes nothing.
            let created = try await h.berth(["create", "--name", "later"] + option + ["busybox", "mkdir", "/z"])
            #expect(created.status == 0, "\(created.err)")
            try FileManager.default.removeItem(atPath: path)
            let stored = try await h.berth(["inspect", "-f", "{{json .HostConfig.SecurityOpt}}", "later"]).out
            #expect(stored.contains("no new directories"), "\(stored)")
            let started = try await h.berth(["start", "-a", "later"])
            #expect(started.status != 0 && started.err.contains("Operation not permitted"), "\(started.err)")

            // Refused at create, with the reason: a file that is gone, a bad profile.
            let missing = try await h.berth(["run", "--rm"] + option + ["busybox", "true"])
            #expect(missing.status == 125 && missing.err.contains("opening seccomp profile \(path) failed"), "\(missing.err)")
            try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "DENY"}]}"#
                .write(toFile: path, atomically: true, encoding: .utf8)
            let bad = try await h.berth(["run", "--rm"] + option + ["busybox", "true"])
            #expect(bad.status == 125 && bad.err.contains("syscalls[0].action \"DENY\" is not a seccomp action"), "\(bad.err)")
            #expect(try await h.berth(["ps", "-aq"]).out.split(separator: "\n").count == 1)  // only "later"
        }
    }
}
