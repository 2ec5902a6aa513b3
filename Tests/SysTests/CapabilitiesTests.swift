// CapabilitiesTests: libcap reads match the kernel's view in /proc/self/status; names map both ways.
import Errdefs
import LinuxSecurity
import Testing

@Suite("Capabilities")
struct CapabilitiesTests {
    @Test func currentSetsMatchProcStatus() throws {
        let capabilities = try Capabilities.current()
        #expect(capabilities.effective.contains(.sysAdmin))  // tests run as root
        #expect(capabilities.effective.procStatusHex == (try TestSupport.procStatus("CapEff")))
        #expect(capabilities.permitted.procStatusHex == (try TestSupport.procStatus("CapPrm")))
        #expect(capabilities.inheritable.procStatusHex == (try TestSupport.procStatus("CapInh")))
        #expect(capabilities.bounding.procStatusHex == (try TestSupport.procStatus("CapBnd")))
        #expect(capabilities.ambient.procStatusHex == (try TestSupport.procStatus("CapAmb")))
    }

    @Test func namesMapToNumbersAndBack() {
        #expect(Capability(name: "CAP_SYS_ADMIN") == .sysAdmin)
        #expect(Capability(name: "cap_net_admin") == .netAdmin)
        #expect(Capability(name: "CAP_NO_SUCH_THING") == nil)
        #expect(Capability.sysAdmin.name == "CAP_SYS_ADMIN")
        #expect(Capability.chown.name == "CAP_CHOWN")
        #expect(Capability.supported().contains(.sysAdmin))
    }

    @Test func setParsesAndPrintsTheProcFormat() throws {
        let set = try #require(CapabilitySet(procStatusHex: "000001fffeffffff"))
        #expect(set.contains(.sysAdmin))
        #expect(!set.contains(.sysResource))  // bit 24 is clear in that mask
        #expect(set.procStatusHex == "000001fffeffffff")
        #expect(CapabilitySet([.chown, .kill]).bits == 0b100001)
        #expect(CapabilitySet(procStatusHex: "xyz") == nil)
    }
}
