// ExitRecord: how the container's init ended, kept durably in the bundle (`init.exit`) before
// anyone is told — Wait replies now, the TaskExit event once events are published — so the
// status survives a client, supervisor or shim restart. A few lines of text:
//
//     pid 4242
//     exit_status 137
//     exited_at 1732406400 123456789
import Errdefs

public struct ExitRecord: Sendable, Equatable {
    public static let fileName = "init.exit"

    public var pid: UInt32
    /// The shell's convention: the exit code, or 128 + the signal (what containerd reports).
    public var exitStatus: UInt32
    public var exitedAt: Timestamp

    public init(pid: UInt32, exitStatus: UInt32, exitedAt: Timestamp) {
        self.pid = pid
        self.exitStatus = exitStatus
        self.exitedAt = exitedAt
    }

    public init(_ exit: ProcessExit) {
        self.init(pid: UInt32(exit.pid), exitStatus: UInt32(exit.status.code), exitedAt: exit.exitedAt)
    }

    public var text: String {
        "pid \(pid)\nexit_status \(exitStatus)\nexited_at \(exitedAt.seconds) \(exitedAt.nanos)\n"
    }

    /// Parses `text`; nil when a field is missing or malformed (a torn file cannot exist, but a
    /// hand-edited one can).
    public init?(text: String) {
        var pid: UInt32?
        var status: UInt32?
        var at: Timestamp?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            switch (parts.first, parts.count) {
            case ("pid"?, 2): pid = UInt32(parts[1])
            case ("exit_status"?, 2): status = UInt32(parts[1])
            case ("exited_at"?, 3):
                if let seconds = Int64(parts[1]), let nanos = Int32(parts[2]) { at = Timestamp(seconds: seconds, nanos: nanos) }
            default: continue
            }
        }
        guard let pid, let status, let at else { return nil }
        self.init(pid: pid, exitStatus: status, exitedAt: at)
    }

    /// Writes `<bundle>/init.exit` durably (temporary file, fsync, rename, fsync of the bundle).
    public func write(bundle: String) throws(CoreError) {
        try write(to: "\(bundle)/\(Self.fileName)")
    }

    /// Writes the record to `path` durably (an exec's record: `<bundle>/exec-<id>.exit`).
    public func write(to path: String) throws(CoreError) {
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    /// The record in `bundle`, or nil if there is none.
    public static func load(bundle: String) throws(CoreError) -> ExitRecord? {
        guard let bytes = try AtomicFile.read("\(bundle)/\(fileName)") else { return nil }
        guard let record = ExitRecord(text: String(decoding: bytes, as: UTF8.self)) else {
            throw CoreError(.dataLoss, "\(bundle)/\(fileName) is malformed")
        }
        return record
    }
}
