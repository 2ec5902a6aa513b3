// Runtime.run: create + start, then (unless detached) stay as the container's parent, forward
// signals to it and exit with its status, deleting the container afterwards, as `runc run` does.
#if canImport(Glibc)
import Glibc
#endif
import Errdefs

extension Runtime {
    /// Runs the container; returns its exit code (128+n for death by signal n), or 0 if detached.
    public func run(id: String, _ options: CreateOptions, detach: Bool) throws(CoreError) -> Int32 {
        var foreground = detach ? nil : try ForegroundWait()
        let pid = try create(id: id, options)
        do { try start(id: id) } catch {
            try? delete(id: id, force: true)
            throw error
        }
        guard foreground != nil else { return 0 }
        let code = foreground!.wait(for: pid)
        try? delete(id: id, force: true)
        return code
    }
}
