// Spawn+Path: finding the executable the way execvp does, but in the parent and before fork,
// so the child only calls execve and a missing program is reported with its name.
import Errdefs
import Glibc

extension Spawn {
    /// The search path used when the environment has no PATH (glibc's and Docker's default).
    public static let defaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// `executable` as a path: itself if it contains "/", otherwise the first executable regular
    /// file named so in the search path (the PATH of `environment`, else the caller's PATH, else
    /// `defaultSearchPath`). Throws notFound (ENOENT), or EACCES when only non-executable files
    /// matched, as execvp would.
    public func resolvedExecutable() throws(CoreError) -> String {
        if executable.contains("/") { return executable }
        guard !executable.isEmpty else {
            throw CoreError(SystemCallFailure(call: "execve", path: executable, errno: ENOENT), context: "spawn")
        }
        var sawNotExecutable = false
        for directory in searchPath().split(separator: ":", omittingEmptySubsequences: false) {
            // An empty PATH entry means the current directory, as in execvp.
            let candidate = directory.isEmpty ? executable : "\(directory)/\(executable)"
            var info = stat()
            guard stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            sawNotExecutable = true
        }
        let code = sawNotExecutable ? EACCES : ENOENT
        throw CoreError(SystemCallFailure(call: "execve", path: executable, errno: code), context: "spawn \(executable)")
    }

    /// PATH from the child's environment, else from ours, else the default.
    private func searchPath() -> String {
        if let entry = environment.first(where: { $0.hasPrefix("PATH=") }) {
            return String(entry.dropFirst(5))
        }
        if let inherited = getenv("PATH") {
            return String(cString: inherited)
        }
        return Spawn.defaultSearchPath
    }
}
