// ProcessSetup+LookPath: finding process.args[0] inside the container's root (already pivoted),
// like Go's exec.LookPath, which runc uses: a name with a slash is taken as is, any other name
// is searched in the container's PATH (not the runtime's own).

#if canImport(Glibc)
import Glibc
#endif

extension ProcessSetup {
    /// The PATH searched when the container's environment sets none (runc's and Docker's default).
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The file execve should run for `name`, or nil when there is none. A name containing "/"
    /// is checked directly (relative to the working directory if it does not start with "/");
    /// otherwise each PATH entry of `env` is tried in order (the last PATH= in `env` wins, as
    /// runc sets the variables one by one; an empty entry means the working directory). A
    /// candidate must be a regular file with an execute bit.
    static func lookPath(_ name: String, env: [String]) -> String? {
        guard !name.isEmpty else { return nil }
        if name.contains("/") {
            return isExecutableFile(name) ? name : nil
        }
        let path = env.last(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) } ?? defaultPath
        for entry in path.split(separator: ":", omittingEmptySubsequences: false) {
            let directory = entry.isEmpty ? "." : String(entry)
            let candidate = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    /// Why `lookPath` found nothing: a path that exists but cannot be run is EACCES ("permission
    /// denied", docker's exit 126), anything else ENOENT (docker's 127).
    static func lookupFailure(_ name: String) -> ChildFailure {
        var info = stat()
        if name.contains("/"), stat(name, &info) == 0 {
            return ChildFailure(stage: "exec", path: name, errno: EACCES, message: "permission denied")
        }
        return ChildFailure(stage: "exec", path: name, errno: ENOENT,
                            message: name.contains("/") ? "no such file or directory" : "executable file not found in $PATH")
    }

    /// Whether `path` (symbolic links followed) is a regular file with at least one execute bit.
    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & S_IFMT == S_IFREG && info.st_mode & 0o111 != 0
    }
}
