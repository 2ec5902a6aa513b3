// Conversions between the project's CoreError and ttrpc's wire status (google.rpc.Status inside
// ttrpc.Response). An absent status, an empty one and an explicit code 0 all mean OK.
import Errdefs
import SwiftProtobuf

extension CoreError {
    /// The error a Response's status describes, or nil when the status means OK.
    public init?(status: RPC_Status?) {
        guard let status, status.code != 0 else { return nil }
        self.init(ErrorCode(wire: status.code), status.message)
    }

    /// The wire status for this error.
    public var rpcStatus: RPC_Status {
        var status = RPC_Status()
        status.code = code.rawValue
        status.message = message
        return status
    }

    /// Classifies any error thrown by a handler: CoreError keeps its code, cancellation becomes
    /// `canceled`, a protobuf decoding failure `invalidArgument`, anything else `unknown`.
    public static func classify(_ error: any Error) -> CoreError {
        if let core = error as? CoreError { return core }
        if error is CancellationError { return CoreError(.canceled, "context canceled") }
        if error is SwiftProtobuf.BinaryDecodingError {
            return CoreError(.invalidArgument, "unmarshal request: \(error)")
        }
        return CoreError(.unknown, String(describing: error))
    }
}
