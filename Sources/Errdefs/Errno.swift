// Errno values and strerror for Errdefs, which stays free of Foundation and of Glibc's large module
// surface in its public API: the few constants it needs are read through Glibc here.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

let ENOENT_ = ENOENT
let EEXIST_ = EEXIST
let EACCES_ = EACCES
let EPERM_ = EPERM
let EINVAL_ = EINVAL
let ETIMEDOUT_ = ETIMEDOUT
let ECONNREFUSED_ = ECONNREFUSED

func strerrorText(_ code: Int32) -> UnsafeMutablePointer<CChar> { strerror(code) }

/// The calling thread's errno, for building a `SystemCallFailure` right after a failed call.
public func currentErrno() -> Int32 { errno }
