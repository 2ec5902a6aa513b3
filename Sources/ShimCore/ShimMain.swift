// ShimMain: berth-shim's entry point — parses containerd's Go-style flags and runs `start`,
// `delete`, `-v`, or (no action) the daemon. The executable target only calls `run`.
import Errdefs
import Glibc
import Sys

public enum ShimMain {
    public static let version = "0.1.0"

    public static func run(_ arguments: [String]) -> Int32 {
        let flags: ShimFlags
        do {
            flags = try ShimFlags(parsing: arguments)
        } catch {
            printError(error.message)
            return 2  // Go's flag package exits 2 on a usage error
        }
        if flags.version {
            printOut("berth-shim:\n  Version:  \(version)\n  Runtime:  \(RuntimeConfig.defaultBinary) (default)\n")
            return 0
        }
        if flags.info {
            printError("-info is not supported by berth-shim yet")
            return 1
        }
        let cwd = currentDirectory()
        let shimDirectory = AtomicFile.directory(of: executablePath())
        switch flags.action {
        case "start":
            do {
                printOut(try ShimStart.run(flags: flags, bundle: cwd, executable: executablePath()))
                return 0
            } catch {
                printError("start: \(error.message)")
                return 1
            }
        case "delete":
            do {
                let bundle = flags.bundle.isEmpty ? cwd : flags.bundle
                let response = try ShimDelete.run(flags: flags, bundle: bundle, shimDirectory: shimDirectory)
                writeAll(1, response.protoBytes)
                return 0
            } catch {
                printError("delete: \(error.message)")
                return 1
            }
        case "":
            return ShimDaemon.run(flags: flags, bundle: cwd, shimDirectory: shimDirectory)
        default:
            printError("unknown action \"\(flags.action)\" (want start or delete)")
            return 2
        }
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// This binary's path (/proc/self/exe), to re-run it as the daemon and find the runtime next to it.
    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments.first ?? "berth-shim" }
        buffer[n] = 0
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func printOut(_ text: String) { writeAll(1, Array(text.utf8)) }
    static func printError(_ text: String) { writeAll(2, Array((text + "\n").utf8)) }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
