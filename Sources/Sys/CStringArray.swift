// CStringArray: a NULL-terminated array of C strings (argv, envp) built before fork, owned by
// Swift and freed once the call that needs it returns.
import Errdefs
import Glibc

/// Owns `count + 1` pointers: one strdup'd copy per string, then NULL. Non-copyable, so the
/// memory is freed exactly once, and only after the last borrow.
struct CStringArray: ~Copyable {
    private let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    /// Copies `strings`; a string with an embedded NUL is an invalid argument (C would cut it).
    init(_ strings: [String], what: String) throws(CoreError) {
        for string in strings where string.utf8.contains(0) {
            throw CoreError(.invalidArgument, "\(what) contains a NUL byte: \(string)")
        }
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() {
            pointers[index] = strdup(string)
        }
        pointers[strings.count] = nil
    }

    deinit {
        for index in 0..<count {
            free(pointers[index])
        }
        pointers.deallocate()
    }

    /// The `char *const *` form C expects, valid while `self` is alive.
    var pointer: UnsafePointer<UnsafeMutablePointer<CChar>?> { UnsafePointer(pointers) }
}
