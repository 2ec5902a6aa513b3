// SystemCall: the helpers every wrapper in Sys is built on — run a call once and turn -1 into a
// CoreError carrying (call, path, errno), run it again while it fails with EINTR, and keep typed
// errors typed through closures of rethrows-only APIs.
import Errdefs
import Glibc

/// The CoreError for a failed system call; `code` must be the errno read right after the call.
func systemCallError(_ call: String, path: String? = nil, errno code: Int32) -> CoreError {
    CoreError(SystemCallFailure(call: call, path: path, errno: code))
}

/// Runs `body` once; a result of -1 throws with the errno it left.
@inline(__always)
func checked<T: BinaryInteger>(
    _ call: String, path: String? = nil, _ body: () -> T
) throws(CoreError) -> T {
    let result = body()
    if result == -1 {
        throw systemCallError(call, path: path, errno: errno)
    }
    return result
}

/// Runs `body` until it stops failing with EINTR; any other -1 throws with its errno.
@inline(__always)
func retryingInterrupts<T: BinaryInteger>(
    _ call: String, path: String? = nil, _ body: () -> T
) throws(CoreError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code != EINTR {
            throw systemCallError(call, path: path, errno: code)
        }
    }
}

/// Captures a typed error as a Result, for closures passed to APIs that only `rethrows`
/// (Array.withUnsafeBytes, String.withCString), which would otherwise erase it to `any Error`.
/// Use as `try api { catching { … } }.get()`.
@inline(__always)
func catching<R>(_ body: () throws(CoreError) -> R) -> Result<R, CoreError> {
    do {
        return .success(try body())
    } catch {
        return .failure(error)
    }
}
