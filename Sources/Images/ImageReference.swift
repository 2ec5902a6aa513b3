// ImageReference: docker's normalisation of image names — "busybox" is
// "docker.io/library/busybox:latest", "me/app" is "docker.io/me/app:latest", a first component
// with a dot, a colon or "localhost" is a registry — and a check that a name is one at all.
import Errdefs

public enum ImageReference {
    public static func normalize(_ name: String) throws(CoreError) -> String {
        guard !name.isEmpty, name.utf8.count <= 255, !name.contains(" "), !name.hasPrefix("/"), !name.hasSuffix("/") else {
            throw CoreError(.invalidArgument, "image name \"\(name)\" is not a valid reference")
        }
        var components = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard components.allSatisfy({ !$0.isEmpty }) else {
            throw CoreError(.invalidArgument, "image name \"\(name)\" has an empty path component")
        }
        let first = components[0]
        let hasRegistry = components.count > 1 && (first.contains(".") || first.contains(":") || first == "localhost")
        if !hasRegistry {
            if components.count == 1 { components.insert("library", at: 0) }
            components.insert("docker.io", at: 0)
        }
        var result = components.joined(separator: "/")
        let last = components[components.count - 1]
        if !last.contains(":") && !last.contains("@") { result += ":latest" }
        let repository = result.split(separator: "@")[0].split(separator: "/").dropFirst().joined(separator: "/")
        guard repository.lowercased() == repository else {
            throw CoreError(.invalidArgument, "image name \"\(name)\": repository names must be lower case")
        }
        return result
    }
}
