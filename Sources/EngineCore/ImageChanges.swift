// ImageChanges: `berth import -c` — the Dockerfile instructions docker accepts there (CMD,
// ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL) applied to an empty image
// config, and the OCI image config JSON of the imported image. CMD and ENTRYPOINT take the exec
// form (a JSON array) or the shell form (`sh -c`); ENV and LABEL take KEY=VALUE pairs (quotes
// as in a Dockerfile) or the legacy `ENV KEY VALUE`.
import Errdefs
import Foundation

struct ImageChanges {
    var cmd: [String]?
    var entrypoint: [String]?
    var env: [String] = []
    var labels: [String: String] = [:]
    var exposedPorts: Set<String> = []
    var volumes: Set<String> = []
    var user: String?
    var workingDir: String?
    var stopSignal: String?

    static func parse(_ lines: [String]) throws(CoreError) -> ImageChanges {
        var changes = ImageChanges()
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let keyword = String(trimmed.prefix { !$0.isWhitespace }).uppercased()
            let rest = String(trimmed.dropFirst(keyword.count)).trimmingCharacters(in: .whitespaces)
            guard !keyword.isEmpty else { continue }
            switch keyword {
            case "CMD": changes.cmd = try command(rest, keyword)
            case "ENTRYPOINT": changes.entrypoint = try command(rest, keyword)
            case "ENV":
                for (key, value) in try pairs(rest, keyword) {
                    changes.env.removeAll { $0.hasPrefix(key + "=") }
                    changes.env.append("\(key)=\(value)")
                }
            case "LABEL":
                for (key, value) in try pairs(rest, keyword) { changes.labels[key] = value }
            case "EXPOSE":
                for port in try words(rest) { changes.exposedPorts.insert(port.contains("/") ? port : port + "/tcp") }
            case "VOLUME":
                let paths = rest.hasPrefix("[") ? try jsonArray(rest, keyword) : try words(rest)
                for path in paths { changes.volumes.insert(path) }
            case "USER": changes.user = try required(rest, keyword)
            case "STOPSIGNAL": changes.stopSignal = try required(rest, keyword)
            case "WORKDIR":
                let directory = try required(rest, keyword)
                changes.workingDir = directory.hasPrefix("/") ? directory : (changes.workingDir ?? "") + "/" + directory
            default:
                throw CoreError(.invalidArgument, "\(keyword.lowercased()) is not a valid change command")
            }
        }
        return changes
    }

    /// The image config (OCI image-spec JSON) of a one-layer image with these changes.
    func config(diffID: String, message: String, created: Date, architecture: String) throws(CoreError) -> [UInt8] {
        var container: [String: Any] = [:]
        if let cmd { container["Cmd"] = cmd }
        if let entrypoint { container["Entrypoint"] = entrypoint }
        if !env.isEmpty { container["Env"] = env }
        if !labels.isEmpty { container["Labels"] = labels }
        if !exposedPorts.isEmpty { container["ExposedPorts"] = Dictionary(uniqueKeysWithValues: exposedPorts.map { ($0, [String: String]()) }) }
        if !volumes.isEmpty { container["Volumes"] = Dictionary(uniqueKeysWithValues: volumes.map { ($0, [String: String]()) }) }
        if let user { container["User"] = user }
        if let workingDir { container["WorkingDir"] = workingDir }
        if let stopSignal { container["StopSignal"] = stopSignal }
        let time = ISO8601DateFormatter().string(from: created)
        var history: [String: Any] = ["created": time, "created_by": "berth import"]
        if !message.isEmpty { history["comment"] = message }
        let document: [String: Any] = [
            "architecture": architecture, "os": "linux", "created": time, "config": container,
            "rootfs": ["type": "layers", "diff_ids": [diffID]], "history": [history],
        ]
        return try Self.json(document)
    }

    static func json(_ document: Any) throws(CoreError) -> [UInt8] {
        do { return [UInt8](try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) } catch {
            throw CoreError(.internal, "encode image document: \(error)")
        }
    }

    private static func required(_ rest: String, _ keyword: String) throws(CoreError) -> String {
        guard !rest.isEmpty else { throw CoreError(.invalidArgument, "\(keyword) requires exactly one argument") }
        return rest
    }

    /// Exec form `["a","b"]` or shell form `a b` (run by /bin/sh -c).
    private static func command(_ rest: String, _ keyword: String) throws(CoreError) -> [String] {
        if rest.hasPrefix("["), let array = try? jsonArray(rest, keyword) { return array }
        return ["/bin/sh", "-c", try required(rest, keyword)]
    }

    private static func jsonArray(_ text: String, _ keyword: String) throws(CoreError) -> [String] {
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let array = value as? [String] else {
            throw CoreError(.invalidArgument, "\(keyword): \(text) is not a JSON array of strings")
        }
        return array
    }

    /// KEY=VALUE pairs, or the legacy `KEY VALUE` (the rest of the line is the value).
    private static func pairs(_ rest: String, _ keyword: String) throws(CoreError) -> [(String, String)] {
        let tokens = try words(rest)
        guard let first = tokens.first else { throw CoreError(.invalidArgument, "\(keyword) requires at least one argument") }
        if !first.contains("=") {
            let value = rest.dropFirst(rest.prefix { !$0.isWhitespace }.count).trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { throw CoreError(.invalidArgument, "\(keyword) \(first) needs a value (\(keyword) \(first)=VALUE)") }
            return [(first, value)]
        }
        return try tokens.map { (token) throws(CoreError) -> (String, String) in
            let parts = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw CoreError(.invalidArgument, "\(keyword): \(token) is not KEY=VALUE") }
            return (parts[0], parts[1])
        }
    }

    /// Words split at unquoted whitespace; "…" and '…' quote, a backslash escapes (outside '…').
    static func words(_ text: String) throws(CoreError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quote != "'" {
                escaped = true
                inWord = true
            } else if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        guard quote == nil else { throw CoreError(.invalidArgument, "unmatched quote in \(text)") }
        if inWord { words.append(current) }
        return words
    }
}
