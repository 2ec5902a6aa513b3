// CNIPlugin: runs one CNI plugin binary as the CNI spec says — CNI_COMMAND (ADD, DEL, CHECK),
// CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH in the environment, the network config JSON on
// stdin, the result JSON on stdout; a failure's error JSON ({"code", "msg", "details"}) becomes a
// CoreError naming the plugin. stdio are memfds, so nothing is written to disk and no pipe fills.
import Errdefs
import Foundation
import Glibc
import Sys

struct CNIPlugin {
    enum Command: String { case add = "ADD", del = "DEL", check = "CHECK" }

    /// Where the plugin binaries are (Debian's containernetworking-plugins).
    static let searchPath = ["/usr/lib/cni", "/opt/cni/bin"]

    let type: String

    var binary: String? {
        Self.searchPath.map { "\($0)/\(type)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs the plugin and returns its stdout parsed (empty object for DEL/CHECK).
    func run(_ command: Command, containerID: String, netns: String, ifname: String,
             config: [String: Any]) throws(CoreError) -> [String: Any] {
        guard let binary else {
            throw CoreError(.failedPrecondition, "CNI plugin \(type) not found in \(Self.searchPath.joined(separator: ":")) (install containernetworking-plugins)")
        }
        let input: Data
        do { input = try JSONSerialization.data(withJSONObject: config) } catch {
            throw CoreError(.internal, "CNI config for \(type) is not JSON: \(error)")
        }
        let stdin = try Self.memfd("cni-stdin"), stdout = try Self.memfd("cni-stdout"), stderr = try Self.memfd("cni-stderr")
        defer { close(stdin); close(stdout); close(stderr) }
        let written = input.withUnsafeBytes { write(stdin, $0.baseAddress, $0.count) }
        guard written == input.count else { throw CoreError(SystemCallFailure(call: "write", path: "memfd:cni-stdin", errno: errno)) }
        lseek(stdin, 0, SEEK_SET)
        var spawn = Spawn(executable: binary, arguments: [], environment: [
            "CNI_COMMAND=\(command.rawValue)", "CNI_CONTAINERID=\(containerID)", "CNI_NETNS=\(netns)",
            "CNI_IFNAME=\(ifname)", "CNI_PATH=\(Self.searchPath.joined(separator: ":"))",
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        ])
        spawn.fileDescriptors = [stdin, stdout, stderr]
        // An ADD dies with the engine (with the thread waiting for it, which lives as long):
        // one left running would go on making what the restarted engine's DEL has just undone.
        // A DEL is left to finish, since one cut short can lose what a second DEL needs (the
        // bridge plugin finds the masquerade rules to remove through the container's address).
        if command == .add { spawn.parentDeathSignal = SIGKILL }
        let status = try Spawn.waitForExit(try spawn.start())
        let output = Self.contents(stdout)
        let parsed = (try? JSONSerialization.jsonObject(with: output)) as? [String: Any]
        guard case .exited(0) = status else {
            let message = (parsed?["msg"] as? String) ?? String(decoding: Self.contents(stderr), as: UTF8.self)
            let details = (parsed?["details"] as? String).map { " (\($0))" } ?? ""
            let code = (parsed?["code"] as? Int).map { " code \($0)" } ?? ""
            throw CoreError(.internal, "CNI \(type) \(command.rawValue) for \(containerID) failed (\(status)\(code)): \(message)\(details)")
        }
        if command == .add, parsed == nil {
            throw CoreError(.internal, "CNI \(type) ADD for \(containerID) printed no JSON result: \(String(decoding: output, as: UTF8.self))")
        }
        return parsed ?? [:]
    }

    private static func memfd(_ name: String) throws(CoreError) -> Int32 {
        try Linux.memfdCreate(name: name).release()
    }

    static func contents(_ fd: Int32) -> Data {
        lseek(fd, 0, SEEK_SET)
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return data
    }
}
