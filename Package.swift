// swift-tools-version:6.0
// berth: a container engine for Linux in five layers (berth → berth-engine → berth-supervisor →
// berth-shim → berth-runtime). This manifest holds the libraries the layers share; each issue that
// builds an executable adds it here as a thin target over its library. See docs/architecture.md.
import PackageDescription

let package = Package(
    name: "berth",
    platforms: [.macOS(.v15)],  // Linux only in practice; the floor only satisfies NIO's availability checks.
    products: [
        .library(name: "RPC", targets: ["RPC"]),
        .library(name: "RPCNIO", targets: ["RPCNIO"]),
        .library(name: "API", targets: ["API"]),
        .library(name: "Sys", targets: ["Sys"]),
        .executable(name: "berth-runtime", targets: ["berth-runtime"]),
        .executable(name: "berth-shim", targets: ["berth-shim"]),
        .executable(name: "berth-supervisor", targets: ["berth-supervisor"]),
        .executable(name: "berth-ctr", targets: ["berth-ctr"]),
        .executable(name: "berth-engine", targets: ["berth-engine"]),
        .executable(name: "berth", targets: ["berth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // --- C: only what Swift cannot do safely (syscalls Glibc hides, variadic calls, CMSG, fork/exec).
        .target(name: "CLinux", path: "Sources/CLinux"),
        // --- System libraries from Debian (pkg-config names; apt providers for a clear error).
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CCap", path: "Sources/CCap", pkgConfig: "libcap",
                       providers: [.apt(["libcap-dev"])]),
        .systemLibrary(name: "CSystemd", path: "Sources/CSystemd", pkgConfig: "libsystemd",
                       providers: [.apt(["libsystemd-dev"])]),

        // --- Shared Swift libraries.
        /// The one error model that crosses every process boundary (gRPC codes, containerd errdefs).
        .target(name: "Errdefs"),
        /// Owning file descriptors, unix sockets with SCM_RIGHTS, async-signal-safe spawn, syscalls.
        .target(name: "Sys", dependencies: ["CLinux", "Errdefs"]),
        /// libseccomp, libcap and libsystemd (sd_notify, sd_listen_fds) behind small Swift types.
        .target(name: "LinuxSecurity", dependencies: ["CSeccomp", "CCap", "Errdefs"]),
        .target(name: "Systemd", dependencies: ["CSystemd", "Errdefs"]),
        /// ttrpc frames (header, 4 MiB cap, incremental decoder) without Foundation or SwiftProtobuf;
        /// RPC re-exports it, berth-shim uses it alone.
        .target(name: "RPCFraming", dependencies: ["Errdefs"]),
        /// ttrpc: frame codec, stream state and dispatch with no I/O, so any transport can carry it.
        .target(name: "RPC", dependencies: [
            "Errdefs", "RPCFraming", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["Generated/README.md"]),
        /// The swift-nio transport for ttrpc over unix sockets, used by the daemons and clients.
        .target(name: "RPCNIO", dependencies: [
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            "RPC", "Errdefs", "Sys",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        /// Messages and service descriptors generated from Protocols/ (containerd shim v2, events,
        /// berth.supervisor.v1, berth.engine.v1), plus typed clients over RPC.
        .target(name: "API", dependencies: [
            "RPC", "Errdefs", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["Generated/README.md"]),

        /// Foundation-free JSON: strict parser, writer, Codable decoder and encoder (berth-runtime's
        /// libraries must not link Foundation: start-up time and memory of a static binary).
        .target(name: "JSON"),
        /// OCI runtime-spec and image-spec models (config.json, state.json), validation, defaults.
        .target(name: "OCI", dependencies: ["Errdefs", "JSON"]),
        /// cgroup v1, v2 and hybrid managers behind one CgroupManager interface.
        .target(name: "Cgroups", dependencies: ["OCI", "Errdefs", "Sys", "CLinux"]),

        /// berth-runtime's logic: container lifecycle, the re-exec'd init (namespaces, rootfs,
        /// pivot_root, capabilities, seccomp), state, the parent/init sync protocol.
        .target(name: "RuntimeCore", dependencies: ["OCI", "Cgroups", "Sys", "LinuxSecurity", "Errdefs", "JSON", "Digest"]),

        /// berth-runtime's command line (runc's verbs and flags) over RuntimeCore.
        .target(name: "RuntimeCLI", dependencies: [
            "RuntimeCore", "OCI", "Sys", "Errdefs", "JSON", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "berth-runtime", dependencies: ["RuntimeCLI"]),

        /// berth-shim's logic: the single-threaded poll loop, ttrpc Task service, process supervision,
        /// stdio, the start/delete contract. No Foundation, no NIO, no SwiftProtobuf (its own small
        /// protobuf codec): the shim must stay as small as conmon. See docs/architecture.md.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        /// Streaming tar reader and gzip (zlib) for image archives and layers.
        .target(name: "Archive", dependencies: ["CZlib", "Errdefs"]),
        /// The content store and image import (OCI layout, docker-archive).
        .target(name: "Images", dependencies: ["Archive", "Digest", "Errdefs", "Sys"]),
        /// Overlay snapshots: committed image layers and containers' writable rootfs.
        .target(name: "Snapshots", dependencies: ["Digest", "Errdefs"]),
        /// SHA-256, incremental and Foundation-free (content digests; the shim's socket name).
        .target(name: "Digest"),
        .target(name: "ShimCore", dependencies: ["RPCFraming", "Sys", "Errdefs", "CLinux", "Digest"]),
        .executableTarget(name: "berth-shim", dependencies: ["ShimCore"]),

        /// Crash-safe protobuf records, one file each (the supervisor's and the engine's metadata).
        .target(name: "Records", dependencies: ["Errdefs", "Sys", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),

        // --- berth-supervisor (containerd's place): records, task table, shims, events.
        .target(name: "SupervisorCore", dependencies: [
            "API", "RPC", "RPCNIO", "Errdefs", "Sys", "Images", "Archive", "Digest", "Snapshots", "OCI", "Records",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"), .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "CtrCLI", dependencies: [
            "API", "RPC", "RPCNIO", "OCI", "Errdefs", "Sys", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "berth-ctr", dependencies: ["CtrCLI"]),
        .executableTarget(name: "berth-supervisor", dependencies: [
            "SupervisorCore", "Images", "RPCNIO", "Systemd", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // --- berth-engine (dockerd's place) and berth (the docker CLI's).
        .target(name: "EngineCore", dependencies: [
            "API", "RPC", "RPCNIO", "Errdefs", "Sys", "Images", "Archive", "OCI", "Records", "Digest", "Cgroups",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"), .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "berth-engine", dependencies: [
            "EngineCore", "RPCNIO", "Systemd", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BerthCLI", dependencies: [
            "API", "RPC", "RPCNIO", "Errdefs", "Sys", "Archive", "Images", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .executableTarget(name: "berth", dependencies: ["BerthCLI"]),

        // --- Fuzzing: scripts/fuzz.sh TARGET builds berth-fuzz-TARGET with libFuzzer (-sanitize=fuzzer
        // -DBERTH_FUZZ); a normal build makes each a replayer of saved inputs (regression cases).
        .target(name: "FuzzDriver", path: "Sources/Fuzz/FuzzDriver"),
        .executableTarget(name: "berth-fuzz-rpc", dependencies: ["RPC", "FuzzDriver"], path: "Sources/Fuzz/RPCFuzz"),
        .executableTarget(name: "berth-fuzz-requests", dependencies: [
            "API", "FuzzDriver", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], path: "Sources/Fuzz/RequestsFuzz"),
        .executableTarget(name: "berth-fuzz-oci", dependencies: ["OCI", "JSON", "FuzzDriver"], path: "Sources/Fuzz/OCIFuzz"),
        .executableTarget(name: "berth-fuzz-archive", dependencies: ["Images", "Archive", "FuzzDriver"], path: "Sources/Fuzz/ArchiveFuzz"),
        .executableTarget(name: "berth-fuzz-cni", dependencies: ["EngineCore", "API", "FuzzDriver"], path: "Sources/Fuzz/CNIFuzz"),
        .executableTarget(name: "berth-fuzz-dns", dependencies: ["EngineCore", "FuzzDriver"], path: "Sources/Fuzz/DNSFuzz"),

        // --- Escape probes (Tests/EngineTests/EscapeProbeTests.swift): a small C program run inside
        // containers, so fully static (the test image has no C library).
        .executableTarget(name: "berth-probe", path: "Sources/berth-probe", linkerSettings: [.unsafeFlags(["-static-executable"])]),

        // --- Tests.
        // What the test targets share: the `.offPool` suite trait (threads of their own for tests that block).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "RPCTests", dependencies: ["RPC", "RPCNIO", "API", "Errdefs", "Sys"]),
        .testTarget(name: "SysTests", dependencies: ["TestSupport", "Sys", "LinuxSecurity", "Systemd", "Errdefs", "Records", "CLinux"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "OCITests", dependencies: ["OCI", "Errdefs"]),
        .testTarget(name: "CgroupsTests", dependencies: ["TestSupport", "Cgroups", "OCI", "Errdefs", "Sys"]),
        .testTarget(name: "RuntimeCoreTests", dependencies: ["TestSupport", "RuntimeCore", "OCI", "Sys", "Errdefs"]),
        .testTarget(name: "RuntimeTests", dependencies: ["TestSupport", "RuntimeCLI", "RuntimeCore", "OCI", "Sys", "Errdefs"]),
        .testTarget(name: "InteropTests", dependencies: ["TestSupport", "RPC", "RPCNIO", "API", "Sys", "Errdefs"]),
        .testTarget(name: "ImagesTests", dependencies: ["TestSupport", "Images", "Archive", "Digest", "Errdefs", "Sys", "Snapshots"]),
        .testTarget(name: "SupervisorTests", dependencies: [
            "TestSupport", "SupervisorCore", "API", "RPC", "RPCNIO", "Sys", "Errdefs",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .testTarget(name: "EngineTests", dependencies: [
            "TestSupport", "EngineCore", "BerthCLI", "API", "RPC", "RPCNIO", "Sys", "Errdefs", "Archive", "Images", "Digest",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .testTarget(name: "ShimTests", dependencies: [
            "TestSupport", "ShimCore", "Digest", "RPC", "RPCNIO", "API", "Sys", "Errdefs",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
