// SnapshotsCommand: `berth-ctr snapshots ls|mounts|rm|usage` (alias `snapshot`).
import API
import ArgumentParser
import Foundation
import SwiftProtobuf

struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots", abstract: "Manage snapshots.",
        subcommands: [List.self, Mounts.self, Remove.self, Usage.self], aliases: ["snapshot"])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List snapshots.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let response: Supervisor_ListSnapshotsResponse = try await withClient(global) {
                try await $0.call(SupervisorAPI.snapshots, "List", Supervisor_ListSnapshotsRequest())
            }
            Table.print(Table.render(["KEY", "PARENT", "KIND"], response.snapshots.map {
                [$0.key, $0.parent, $0.kind == .committed ? "Committed" : "Active"]
            }))
        }
    }

    struct Mounts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the mount command for a snapshot.")
        @OptionGroup var global: GlobalOptions
        @Argument var target: String
        @Argument var key: String

        func run() async throws {
            var request = Supervisor_SnapshotMountsRequest()
            request.key = key
            let response: Supervisor_SnapshotMountsResponse = try await withClient(global) { try await $0.call(SupervisorAPI.snapshots, "Mounts", request) }
            for mount in response.mounts {
                Table.print("mount -t \(mount.type) \(mount.source) \(target) -o \(mount.options.joined(separator: ","))\n")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove snapshots.", aliases: ["remove", "delete"])
        @OptionGroup var global: GlobalOptions
        @Argument var keys: [String]

        func run() async throws {
            try await withClient(global) { client in
                for key in keys {
                    var request = Supervisor_RemoveSnapshotRequest()
                    request.key = key
                    let _: Google_Protobuf_Empty = try await client.call(SupervisorAPI.snapshots, "Remove", request)
                }
            }
        }
    }

    struct Usage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a snapshot's disk usage.")
        @OptionGroup var global: GlobalOptions
        @Argument var key: String

        func run() async throws {
            var request = Supervisor_SnapshotUsageRequest()
            request.key = key
            let usage: Supervisor_SnapshotUsageResponse = try await withClient(global) { try await $0.call(SupervisorAPI.snapshots, "Usage", request) }
            Table.print(Table.render(["KEY", "SIZE", "INODES"], [[key, "\(usage.size) B", "\(usage.inodes)"]]))
        }
    }
}
