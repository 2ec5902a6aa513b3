// SecureJoinTests: secureJoin on a real temporary tree — plain paths, `..` clamped at the root,
// absolute and relative symlinks that try to leave it, loops, and missing tails.
#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import RuntimeCore

/// A temporary directory tree, removed when the test ends.
private final class TempTree {
    let root: String

    init() throws {
        var template = Array("/tmp/berth-securejoin-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TreeError.failed("mkdtemp", errno) }
        // The test compares host paths: use the real path of the directory (no symlinks in /tmp).
        guard let real = realpath(made, nil) else { throw TreeError.failed("realpath", errno) }
        root = String(cString: real)
        free(real)
    }

    deinit {
        remove(root)
    }

    func mkdir(_ path: String) throws {
        guard Glibc.mkdir(root + path, 0o755) == 0 else { throw TreeError.failed("mkdir \(path)", errno) }
    }

    func touch(_ path: String) throws {
        let fd = open(root + path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TreeError.failed("create \(path)", errno) }
        close(fd)
    }

    func symlink(_ target: String, at path: String) throws {
        guard Glibc.symlink(target, root + path) == 0 else { throw TreeError.failed("symlink \(path)", errno) }
    }

    private func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR, let dir = opendir(path) {
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names { remove(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    enum TreeError: Error { case failed(String, Int32) }
}

@Suite struct SecureJoinTests {
    @Test func plainPathsJoinUnderRoot() throws {
        let tree = try TempTree()
        try tree.mkdir("/etc")
        try tree.touch("/etc/passwd")
        #expect(try secureJoin(root: tree.root, "/etc/passwd") == tree.root + "/etc/passwd")
        #expect(try secureJoin(root: tree.root, "etc//./passwd") == tree.root + "/etc/passwd")
        #expect(try secureJoin(root: tree.root, "/") == tree.root)
        #expect(try secureJoin(root: tree.root, "") == tree.root)
        // A trailing slash or a doubled one in the root changes nothing.
        #expect(try secureJoin(root: tree.root + "/", "/etc") == tree.root + "/etc")
    }

    @Test func dotDotNeverClimbsAboveRoot() throws {
        let tree = try TempTree()
        try tree.mkdir("/etc")
        #expect(try secureJoin(root: tree.root, "/../../../etc") == tree.root + "/etc")
        #expect(try secureJoin(root: tree.root, "../..") == tree.root)
        #expect(try secureJoin(root: tree.root, "/etc/../../../x") == tree.root + "/x")
    }

    @Test func absoluteSymlinkRestartsAtRoot() throws {
        let tree = try TempTree()
        try tree.mkdir("/etc")
        try tree.mkdir("/data")
        // "/data/conf" -> "/etc": the container's /etc, never the host's.
        try tree.symlink("/etc", at: "/data/conf")
        #expect(try secureJoin(root: tree.root, "/data/conf") == tree.root + "/etc")
        #expect(try secureJoin(root: tree.root, "/data/conf/hosts") == tree.root + "/etc/hosts")
        // An absolute link with ".." in it is clamped too.
        try tree.symlink("/../../../../etc", at: "/up")
        #expect(try secureJoin(root: tree.root, "/up/shadow") == tree.root + "/etc/shadow")
    }

    @Test func relativeSymlinkIsRelativeToItsDirectoryAndClamped() throws {
        let tree = try TempTree()
        try tree.mkdir("/a")
        try tree.mkdir("/a/b")
        try tree.mkdir("/a/c")
        try tree.symlink("../c", at: "/a/b/sibling")
        #expect(try secureJoin(root: tree.root, "/a/b/sibling/file") == tree.root + "/a/c/file")
        // Climbing out with ".." stops at the root.
        try tree.symlink("../../../../../../tmp", at: "/a/b/escape")
        #expect(try secureJoin(root: tree.root, "/a/b/escape") == tree.root + "/tmp")
        #expect(try secureJoin(root: tree.root, "/a/b/escape/../etc") == tree.root + "/etc")
    }

    @Test func chainedSymlinksResolve() throws {
        let tree = try TempTree()
        try tree.mkdir("/real")
        try tree.symlink("one", at: "/two")
        try tree.symlink("/real", at: "/one")
        #expect(try secureJoin(root: tree.root, "/two/x") == tree.root + "/real/x")
    }

    @Test func symlinkLoopFailsWithELOOP() throws {
        let tree = try TempTree()
        try tree.symlink("/b", at: "/a")
        try tree.symlink("/a", at: "/b")
        #expect(throws: ChildFailure.self) { try secureJoin(root: tree.root, "/a/x") }
        do {
            _ = try secureJoin(root: tree.root, "/a")
            Issue.record("expected ELOOP")
        } catch {
            #expect(error.errno == ELOOP)
            #expect(error.stage == "securejoin")
        }
        try tree.symlink("self", at: "/self")
        #expect(throws: ChildFailure.self) { try secureJoin(root: tree.root, "/self") }
    }

    @Test func missingComponentsAreAppendedLiterally() throws {
        let tree = try TempTree()
        try tree.mkdir("/run")
        #expect(try secureJoin(root: tree.root, "/run/missing/deeper/file") == tree.root + "/run/missing/deeper/file")
        // ".." after a missing component is lexical.
        #expect(try secureJoin(root: tree.root, "/run/missing/../other") == tree.root + "/run/other")
        // A dangling symlink's target is used as if it existed.
        try tree.symlink("/var/lib/gone", at: "/run/dangling")
        #expect(try secureJoin(root: tree.root, "/run/dangling/sub") == tree.root + "/var/lib/gone/sub")
        // Under a regular file (ENOTDIR), components are appended too.
        try tree.touch("/run/file")
        #expect(try secureJoin(root: tree.root, "/run/file/x") == tree.root + "/run/file/x")
    }

    @Test func badRootsAreRefused() {
        #expect(throws: ChildFailure.self) { try secureJoin(root: "relative/root", "/x") }
        #expect(throws: ChildFailure.self) { try secureJoin(root: "/tmp/../etc", "/x") }
    }

    @Test func slashRootGivesPlainResolution() throws {
        #expect(try secureJoin(root: "/", "/nonexistent-berth-path/x") == "/nonexistent-berth-path/x")
        #expect(try secureJoin(root: "/", "../..") == "/")
    }
}
