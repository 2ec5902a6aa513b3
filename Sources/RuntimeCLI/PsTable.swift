// PsTable: `ps ID` in table form, as runc does it: run ps(1) for the whole machine and keep the
// header and the lines whose PID column is one of the container's processes.
#if canImport(Glibc)
import Glibc
#endif

enum PsTable {
    static func render(pids: Set<Int32>, arguments: [String]) -> String {
        let output = capture(["/bin/ps"] + arguments)
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let header = lines.first else { return "" }
        lines.removeFirst()
        let columns = header.split(separator: " ")
        guard let pidColumn = columns.firstIndex(of: "PID") else { return output }
        var out = header + "\n"
        for line in lines {
            let fields = line.split(separator: " ")
            if fields.count > pidColumn, let pid = Int32(fields[pidColumn]), pids.contains(pid) { out += line + "\n" }
        }
        return out
    }

    /// Runs a program and returns its stdout (popen: the table path is not hot).
    private static func capture(_ argv: [String]) -> String {
        let command = argv.map { "'" + $0.replacingQuotes() + "'" }.joined(separator: " ")
        guard let pipe = popen(command, "r") else { return "" }
        defer { pclose(pipe) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func replacingQuotes() -> String {
        var out = ""
        for c in self { out += c == "'" ? "'\\''" : String(c) }
        return out
    }
}
