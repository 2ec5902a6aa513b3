// SystemdTests: sd_notify delivers to NOTIFY_SOCKET and is a no-op without it; sd_listen_fds
// finds nothing when not socket-activated. Serialized: they change the process environment.
import Errdefs
import Glibc
import Sys
import Systemd
import Testing

@Suite("Systemd", .serialized)
struct SystemdTests {
    @Test func notifyDeliversToTheSocketAndIsANoOpWithoutIt() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.removeDirectory(directory, files: ["notify"]) }
        let socketPath = "\(directory)/notify"
        let socket = try UnixSocket.bind(path: socketPath, kind: .datagram)
        setenv("NOTIFY_SOCKET", socketPath, 1)
        defer { unsetenv("NOTIFY_SOCKET") }

        #expect(SystemdNotifier.isAvailable)
        #expect(try SystemdNotifier.notify("READY=1") == true)
        // The datagram is queued before sd_notify returns; MSG_DONTWAIT keeps a failure from hanging.
        var buffer = [UInt8](repeating: 0, count: 256)
        let got = socket.withRawValue { raw in
            buffer.withUnsafeMutableBytes { recv(raw, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        }
        try #require(got > 0)
        #expect(String(decoding: buffer[0..<got], as: UTF8.self) == "READY=1")

        unsetenv("NOTIFY_SOCKET")
        #expect(!SystemdNotifier.isAvailable)
        #expect(try SystemdNotifier.notify("READY=1") == false)
    }

    @Test func noListenFileDescriptorsWithoutSocketActivation() throws {
        #expect(getenv("LISTEN_FDS") == nil)
        #expect(try SocketActivation.listenFileDescriptors().isEmpty)
    }
}
