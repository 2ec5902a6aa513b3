// ErrorCode: the error classes every berth process agrees on. They are containerd's errdefs
// classes, numbered as gRPC status codes so that they travel unchanged in a ttrpc Response.

/// A class of failure, numbered like gRPC's status codes (google.rpc.Code).
public enum ErrorCode: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case ok = 0
    case canceled = 1
    case unknown = 2
    case invalidArgument = 3
    case deadlineExceeded = 4
    case notFound = 5
    case alreadyExists = 6
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case aborted = 10
    case outOfRange = 11
    case unimplemented = 12
    case `internal` = 13
    case unavailable = 14
    case dataLoss = 15
    case unauthenticated = 16

    /// Maps any wire value to a code; values outside the table are `unknown`, as gRPC does.
    public init(wire value: Int32) {
        self = ErrorCode(rawValue: value) ?? .unknown
    }

    /// The gRPC name, e.g. `NotFound`.
    public var description: String {
        switch self {
        case .ok: "OK"
        case .canceled: "Canceled"
        case .unknown: "Unknown"
        case .invalidArgument: "InvalidArgument"
        case .deadlineExceeded: "DeadlineExceeded"
        case .notFound: "NotFound"
        case .alreadyExists: "AlreadyExists"
        case .permissionDenied: "PermissionDenied"
        case .resourceExhausted: "ResourceExhausted"
        case .failedPrecondition: "FailedPrecondition"
        case .aborted: "Aborted"
        case .outOfRange: "OutOfRange"
        case .unimplemented: "Unimplemented"
        case .internal: "Internal"
        case .unavailable: "Unavailable"
        case .dataLoss: "DataLoss"
        case .unauthenticated: "Unauthenticated"
        }
    }

    /// containerd's errdefs suffix for messages of this class ("container not created: not found").
    public var errdefsSuffix: String {
        switch self {
        case .ok: "ok"
        case .canceled: "context canceled"
        case .unknown: "unknown"
        case .invalidArgument: "invalid argument"
        case .deadlineExceeded: "context deadline exceeded"
        case .notFound: "not found"
        case .alreadyExists: "already exists"
        case .permissionDenied: "permission denied"
        case .resourceExhausted: "resource exhausted"
        case .failedPrecondition: "failed precondition"
        case .aborted: "aborted"
        case .outOfRange: "out of range"
        case .unimplemented: "not implemented"
        case .internal: "internal"
        case .unavailable: "unavailable"
        case .dataLoss: "data loss"
        case .unauthenticated: "unauthenticated"
        }
    }
}
