// CoreError: the one typed error that crosses process boundaries. Local errors (a failed syscall,
// a bad frame) convert into it at the edge; over ttrpc it travels as google.rpc.Status.

/// What failed at the operating-system level: the call, the path it touched and errno.
public struct SystemCallFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var call: String
    public var path: String?
    public var errno: Int32

    public init(call: String, path: String? = nil, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerrorText(errno))
        if let path { return "\(call) \(path): \(reason) (errno \(errno))" }
        return "\(call): \(reason) (errno \(errno))"
    }
}

/// A classified error with a human message and, when known, the system call that caused it.
public struct CoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var cause: SystemCallFailure?

    public init(_ code: ErrorCode, _ message: String, cause: SystemCallFailure? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// Classifies a failed system call the way Go's os errors map to codes (ENOENT → notFound, …).
    public init(_ failure: SystemCallFailure, context: String? = nil) {
        let code: ErrorCode
        switch failure.errno {
        case ENOENT_: code = .notFound
        case EEXIST_: code = .alreadyExists
        case EACCES_, EPERM_: code = .permissionDenied
        case EINVAL_: code = .invalidArgument
        case ETIMEDOUT_: code = .deadlineExceeded
        case ECONNREFUSED_: code = .unavailable
        default: code = .unknown
        }
        let text = context.map { "\($0): \(failure)" } ?? failure.description
        self.init(code, text, cause: failure)
    }

    public var description: String { "\(code): \(message)" }

    public static func notFound(_ message: String) -> CoreError { CoreError(.notFound, message) }
    public static func invalidArgument(_ message: String) -> CoreError { CoreError(.invalidArgument, message) }
    public static func alreadyExists(_ message: String) -> CoreError { CoreError(.alreadyExists, message) }
    public static func failedPrecondition(_ message: String) -> CoreError { CoreError(.failedPrecondition, message) }
    public static func unimplemented(_ message: String) -> CoreError { CoreError(.unimplemented, message) }
    public static func unavailable(_ message: String) -> CoreError { CoreError(.unavailable, message) }
    public static func `internal`(_ message: String) -> CoreError { CoreError(.internal, message) }
}
