// SpecLoadTests: Spec.load(bundle:) reads <bundle>/config.json from disk and maps a missing file
// to .notFound and bad JSON to .invalidArgument.
import Errdefs
import OCI
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct SpecLoadTests {
    /// A fresh directory under /tmp, removed by the caller.
    private func makeBundle() throws -> String {
        var template = Array("/tmp/berth-oci-test-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, let made = mkdtemp(base) else { return nil }
            return String(cString: made)
        }
        return try #require(dir)
    }

    private func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        try #require(written == bytes.count)
    }

    private func remove(_ bundle: String) {
        unlink("\(bundle)/config.json")
        rmdir(bundle)
    }

    @Test func loadsConfigFromBundle() throws {
        let bundle = try makeBundle()
        defer { remove(bundle) }
        try write(Fixtures.fullConfig, to: "\(bundle)/config.json")
        let spec = try Spec.load(bundle: bundle + "/")
        #expect(spec.hostname == "web-1")
        try spec.validate()
    }

    @Test func missingConfigIsNotFound() throws {
        let bundle = try makeBundle()
        defer { remove(bundle) }
        let error = #expect(throws: CoreError.self) { try Spec.load(bundle: bundle) }
        #expect(error?.code == .notFound)
        #expect(error?.message.hasPrefix("config.json: open \(bundle)/config.json") == true,
                "got: \(error?.message ?? "")")
        #expect(error?.cause?.errno == ENOENT)
    }

    @Test func loadsHooksOrProcessAlone() throws {
        let bundle = try makeBundle()
        defer { remove(bundle) }
        try write(Fixtures.fullConfig, to: "\(bundle)/config.json")
        let full = try Spec.load(bundle: bundle)
        #expect(try Spec.loadHooks(bundle: bundle) == full.hooks)
        #expect(try Spec.loadProcess(bundle: bundle) == full.process)

        try write(#"{"ociVersion": "1.0.0", "hooks": null, "process": {"user": {"uid": "x"}}}"#, to: "\(bundle)/config.json")
        #expect(try Spec.loadHooks(bundle: bundle) == nil)
        let error = #expect(throws: CoreError.self) { try Spec.loadProcess(bundle: bundle) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("config.json: process.user.uid has the wrong type") == true, "got: \(error?.message ?? "")")

        try write(#"{"hooks": {"prestart": [{"args": []}]}"#, to: "\(bundle)/config.json")
        let syntax = #expect(throws: CoreError.self) { try Spec.loadHooks(bundle: bundle) }
        #expect(syntax?.message.hasPrefix("config.json: invalid JSON at line 1, column 39") == true, "got: \(syntax?.message ?? "")")
        try write(#"{"hooks": {"prestart": [{"args": []}]}}"#, to: "\(bundle)/config.json")
        let missing = #expect(throws: CoreError.self) { try Spec.loadHooks(bundle: bundle) }
        #expect(missing?.message == "config.json: hooks.prestart[0].path is required", "got: \(missing?.message ?? "")")
    }

    @Test func malformedConfigIsInvalidArgument() throws {
        let bundle = try makeBundle()
        defer { remove(bundle) }
        try write(#"{"ociVersion": "1.0.0", "process": {"user": {"uid": "zero"}}}"#, to: "\(bundle)/config.json")
        let error = #expect(throws: CoreError.self) { try Spec.load(bundle: bundle) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("process.user.uid") == true, "got: \(error?.message ?? "")")
    }
}
