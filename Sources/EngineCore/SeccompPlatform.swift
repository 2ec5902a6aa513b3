// SeccompPlatform: the two facts about the host that decide which seccomp rules a container
// gets besides its capabilities — the CPU architecture the engine was built for (which syscalls
// exist, which compat ABIs the filter must also cover, the argument order of clone) and the
// running kernel's version (rules that are only safe from some release on). Profiles name an
// architecture two ways: by its libseccomp/OCI constant ("SCMP_ARCH_X86_64") and, in docker's
// `includes`/`excludes` filters, by docker's short name ("amd64").
#if canImport(Glibc)
import Glibc
#endif

/// A CPU architecture as seccomp profiles see it.
struct SeccompArchitecture: Hashable, Sendable, CustomStringConvertible {
    /// The OCI constant of the native ABI, e.g. "SCMP_ARCH_X86_64".
    let ociName: String
    /// The name docker's profile filters use for it, e.g. "amd64".
    let dockerName: String
    /// Other ABIs a process on this CPU can make syscalls through (32-bit compat and the like);
    /// a filter must list them or such calls would all fall to the default action.
    let compatibleABIs: [String]

    static let x86_64 = SeccompArchitecture(ociName: "SCMP_ARCH_X86_64", dockerName: "amd64",
                                            compatibleABIs: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"])
    static let x86 = SeccompArchitecture(ociName: "SCMP_ARCH_X86", dockerName: "x86", compatibleABIs: [])
    static let aarch64 = SeccompArchitecture(ociName: "SCMP_ARCH_AARCH64", dockerName: "arm64", compatibleABIs: ["SCMP_ARCH_ARM"])
    static let arm = SeccompArchitecture(ociName: "SCMP_ARCH_ARM", dockerName: "arm", compatibleABIs: [])
    static let ppc64le = SeccompArchitecture(ociName: "SCMP_ARCH_PPC64LE", dockerName: "ppc64le", compatibleABIs: [])
    static let s390x = SeccompArchitecture(ociName: "SCMP_ARCH_S390X", dockerName: "s390x", compatibleABIs: ["SCMP_ARCH_S390"])
    static let riscv64 = SeccompArchitecture(ociName: "SCMP_ARCH_RISCV64", dockerName: "riscv64", compatibleABIs: [])

    /// The architecture this engine was compiled for (containers run on the same CPU).
    static var native: SeccompArchitecture {
        #if arch(x86_64)
        .x86_64
        #elseif arch(arm64)
        .aarch64
        #elseif arch(s390x)
        .s390x
        #elseif arch(powerpc64le)
        .ppc64le
        #elseif arch(riscv64)
        .riscv64
        #elseif arch(i386)
        .x86
        #elseif arch(arm)
        .arm
        #else
        SeccompArchitecture(ociName: "", dockerName: "", compatibleABIs: [])
        #endif
    }

    /// Every ABI the filter must cover: the native one first. Empty for an architecture without
    /// an OCI name, which leaves the choice to libseccomp (the native ABI only).
    var filterArchitectures: [String] {
        ociName.isEmpty ? [] : [ociName] + compatibleABIs
    }

    var description: String { dockerName.isEmpty ? "unknown" : dockerName }
}

/// A kernel release as "major.minor", the precision seccomp profiles ask for.
struct KernelVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    var major: Int
    var minor: Int

    init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// "6.8.0-45-generic" → 6.8; nil when the text does not start with two numbers.
    init?(release: String) {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2, release.first?.isNumber == true else { return nil }
        self.init(numbers[0], numbers[1])
    }

    /// The running kernel (uname(2)); 0.0 if it cannot be read, so no minimum is met.
    static let running: KernelVersion = {
        var name = utsname()
        guard uname(&name) == 0 else { return KernelVersion(0, 0) }
        let release = withUnsafeBytes(of: &name.release) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return KernelVersion(release: release) ?? KernelVersion(0, 0)
    }()

    static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    var description: String { "\(major).\(minor)" }
}
