// TaskEntry: what the supervisor holds for one task — where its bundle and shim are, the live
// connection to the shim, and, once the shim is gone, the exit it left behind. The bundle is
// the durable part: `<state>/<namespace>/<id>` holds config.json, the shim's `address`, the
// shim binary's path (`shim-binary`) and the task's stdio (`task.pb`), so a restarted
// supervisor finds every task again.
import API
import Foundation
import Records
import RPCNIO
import SwiftProtobuf

struct TaskEntry: Sendable {
    var namespace: String
    var id: String
    var bundle: String
    var shim: String
    /// The task's stdio and terminal, as created.
    var process: Supervisor_Process
    var connection: RPCClient?
    var client: TaskClient?
    /// Set when the shim is gone: the exit recorded for the init, and why it ended when that was
    /// not its own doing (empty when the shim had recorded a real exit before it went).
    var finalExit: (status: UInt32, at: Google_Protobuf_Timestamp, reason: String)?

    static let shimFile = "shim-binary"
    static let processFile = "task.pb"
    /// Written once the shim has created the task: without it, a restart finds an interrupted create.
    static let createdMarker = "created"
    /// Written before a delete starts: with it, a restart finishes the delete.
    static let deletingMarker = "deleting"

    func mark(_ name: String) {
        _ = FileManager.default.createFile(atPath: "\(bundle)/\(name)", contents: nil)
        RecordStore.syncDirectory(bundle)
    }

    func hasMark(_ name: String) -> Bool { FileManager.default.fileExists(atPath: "\(bundle)/\(name)") }

    /// Saves what a restarted supervisor needs besides the shim's own `address`.
    func save() throws {
        try Data(shim.utf8).write(to: URL(fileURLWithPath: "\(bundle)/\(Self.shimFile)"), options: .atomic)
        try process.serializedData().write(to: URL(fileURLWithPath: "\(bundle)/\(Self.processFile)"), options: .atomic)
    }

    /// The entry saved in `bundle`, without a connection; nil if the task never got that far.
    static func load(namespace: String, id: String, bundle: String) -> TaskEntry? {
        guard let shimData = FileManager.default.contents(atPath: "\(bundle)/\(shimFile)"),
              let processData = FileManager.default.contents(atPath: "\(bundle)/\(processFile)"),
              let process = try? Supervisor_Process(serializedBytes: [UInt8](processData)) else { return nil }
        return TaskEntry(namespace: namespace, id: id, bundle: bundle, shim: String(decoding: shimData, as: UTF8.self),
                         process: process)
    }

    /// The shim's socket path from the bundle's `address` file.
    var socketPath: String? {
        guard let data = FileManager.default.contents(atPath: "\(bundle)/address") else { return nil }
        var text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("unix://") { text.removeFirst("unix://".count) }
        return text.isEmpty ? nil : text
    }
}
