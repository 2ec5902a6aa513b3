// SeccompCache: compiled seccomp programs kept under the runtime's state root
// (<root>/seccomp/<sha256>.bpf), so that a profile is compiled with libseccomp once and not at
// every create and exec (docker's default profile costs ~10 ms of CPU to compile, ~0.1 ms to
// read back). The key hashes everything the program depends on: a format tag, the linked
// libseccomp's version and the profile as canonical JSON (sorted keys); the load flags are
// recomputed from the profile, never cached. The directory is root's, 0700, in the runtime's
// own root: whoever can write there is root already. A missing, short or unreadable entry only
// means a compile; a failure to store one is ignored. Called by the init before it enters any
// namespace, while the host's paths are still its own.
#if canImport(Glibc)
import Glibc
#endif
import Digest
import Errdefs
import JSON
import LinuxSecurity
import OCI

struct SeccompCache {
    /// <root>/seccomp.
    let directory: String
    /// Entries kept at most; storing beyond it first clears the directory (profiles are few).
    static let capacity = 64
    /// Largest program the kernel accepts: BPF_MAXINSNS instructions of 8 bytes.
    static let maximumSize = 4096 * 8

    /// The compiled program of `seccomp`, from the cache or compiled now (and stored).
    func program(for seccomp: LinuxSeccomp) throws(CoreError) -> SeccompProgram {
        let profile = SeccompProfile(seccomp)
        let flags = try SeccompProfile.flags(seccomp.flags ?? [])
        guard let key = Self.key(seccomp) else { return try profile.compile() }
        let path = "\(directory)/\(key).bpf"
        if let instructions = read(path) { return SeccompProgram(instructions: instructions, flags: flags) }
        let program = try profile.compile()
        store(program.instructions, at: path)
        return program
    }

    /// Hex SHA-256 of the format tag, libseccomp's version and the canonical profile.
    static func key(_ seccomp: LinuxSeccomp) -> String? {
        guard let canonical = try? JSONCodec.encode(seccomp, .compactSorted) else { return nil }
        var hash = SHA256()
        hash.update("berth-seccomp-bpf-v1\n\(Seccomp.libraryVersion())\n".utf8)
        hash.update(canonical)
        return hash.hexDigest()
    }

    private func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_uid == geteuid(), info.st_size > 0, info.st_size % 8 == 0,
              info.st_size <= Self.maximumSize else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            done += n
        }
        return bytes
    }

    /// Writes a temporary file and renames it into place, so a reader never sees half a program.
    private func store(_ instructions: [UInt8], at path: String) {
        guard !instructions.isEmpty, instructions.count <= Self.maximumSize else { return }
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { return }
        if Self.entries(in: directory) >= Self.capacity { clear() }
        let temporary = "\(path).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        var done = 0
        while done < instructions.count {
            let n = instructions.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        close(fd)
        if done != instructions.count || rename(temporary, path) != 0 { unlink(temporary) }
    }

    private static func entries(in directory: String) -> Int {
        guard let dir = opendir(directory) else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            if entry.pointee.d_name.0 != CChar(UInt8(ascii: ".")) { count += 1 }
        }
        return count
    }

    private func clear() {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { unlink("\(directory)/\(name)") }
        }
    }
}
