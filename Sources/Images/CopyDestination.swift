// CopyDestination: docker cp's rules for where an archive lands, shared by the engine (cp into a
// container) and the CLI (cp onto the host). The archive says what was copied by its first
// entry: a non-directory NAME, a directory NAME (then NAME/...), or "./" (docker's SRC/.: a
// directory's contents). Against the destination:
//   - an existing directory: extracted into it as is;
//   - an existing non-directory: a file replaces it (extracted into its parent, renamed); a
//     directory is refused;
//   - nothing there: extracted into its parent (which must exist), the first name renamed to the
//     destination's; a file refused when the destination ends with "/" (it names a directory).
// Paths are cleaned lexically first ("a/../b" is "b", ".." stops at "/"), as docker does, and a
// destination that is a symlink is followed to where it points (in the container, for the engine).
import Archive
import Errdefs

/// What a cp archive holds, from its first entry.
public enum CopySource: Equatable, Sendable {
    case file(String)
    case directory(String)
    /// A directory's contents ("./", "./a", …).
    case contents

    public init(first entry: TarEntry) throws(CoreError) {
        let components = entry.path.split(separator: "/").map(String.init).filter { !$0.isEmpty }
        guard !components.contains("..") else {
            throw CoreError(.invalidArgument, "archive entry \(entry.path) leaves the archive (\"..\"): refused")
        }
        if components.allSatisfy({ $0 == "." }) {
            guard entry.kind == .directory else { throw CoreError(.invalidArgument, "archive's first entry \"\(entry.path)\" is not a directory") }
            self = .contents
            return
        }
        let name = components.filter { $0 != "." }
        guard name.count == 1 else {
            throw CoreError(.invalidArgument, "archive's first entry \"\(entry.path)\" is not the copied file or directory itself")
        }
        self = entry.kind == .directory ? .directory(name[0]) : .file(name[0])
    }
}

public struct CopyPlan: Equatable, Sendable {
    /// The directory the archive is extracted into (absolute, clean).
    public var directory: String
    /// The first component of every name, renamed ("." prefixes: contents into a new directory).
    public var renameFrom: String?
    public var renameTo: String?

    public init(directory: String, renameFrom: String? = nil, renameTo: String? = nil) {
        self.directory = directory
        self.renameFrom = renameFrom
        self.renameTo = renameTo
    }

    public var rename: (from: String, to: String)? {
        guard let renameFrom, let renameTo else { return nil }
        return (renameFrom, renameTo)
    }
}

public enum CopyDestination {
    /// The components of `path` cleaned lexically: no "", ".", and ".." removes its parent (none at "/").
    public static func components(_ path: String) -> [String] {
        var result: [String] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { _ = result.popLast() } else { result.append(String(part)) }
        }
        return result
    }

    public static func join(_ components: [String]) -> String { "/" + components.joined(separator: "/") }

    /// Whether `path` names a directory by its form: it ends with "/" or "/.".
    public static func assertsDirectory(_ path: String) -> Bool {
        path.hasSuffix("/") || path.hasSuffix("/.") || path == "."
    }

    /// `path` (absolute) with its final symlinks followed, as docker's CLI does for a destination:
    /// `readLink` gives the target of an absolute path that is a symlink (nil when it is not one);
    /// a relative target is taken from the link's directory. At most 40 links.
    public static func followingLinks(_ path: String, readLink: (String) -> String?) -> String {
        var current = join(components(path))
        for _ in 0..<40 {
            guard current != "/", let target = readLink(current) else { break }
            let parent = Array(components(current).dropLast())
            current = target.hasPrefix("/") ? join(components(target)) : join(components(join(parent) + "/" + target))
        }
        return current
    }

    /// Where the archive goes. `destination` is absolute (as the user wrote it, for its trailing
    /// "/"); `exists` and `isDirectory` describe it, symlinks followed.
    public static func plan(_ source: CopySource, destination: String, exists: Bool, isDirectory: Bool) throws(CoreError) -> CopyPlan {
        let parts = components(destination)
        if exists && isDirectory { return CopyPlan(directory: join(parts)) }
        guard let base = parts.last else { return CopyPlan(directory: "/") }  // "/" is a directory
        let parent = join(Array(parts.dropLast()))
        switch source {
        case .file(let name):
            if !exists && assertsDirectory(destination) {
                throw CoreError(.notFound, "destination directory \(destination) does not exist")
            }
            return CopyPlan(directory: parent, renameFrom: name, renameTo: base)
        case .directory(let name):
            if exists { throw CoreError(.failedPrecondition, "cannot copy a directory to \(destination): it exists and is not a directory") }
            return CopyPlan(directory: parent, renameFrom: name, renameTo: base)
        case .contents:
            if exists { throw CoreError(.failedPrecondition, "cannot copy a directory to \(destination): it exists and is not a directory") }
            return CopyPlan(directory: parent, renameFrom: ".", renameTo: base)
        }
    }
}
