// UnixSocketTests: SCM_RIGHTS round trips, descriptor limits and SO_PEERCRED over socket pairs.
import Errdefs
import Glibc
import Sys
import Testing

@Suite("UnixSocket")
struct UnixSocketTests {
    @Test(arguments: [UnixSocket.Kind.stream, .seqpacket, .datagram])
    func passedPipeEndWritesIntoTheOriginalPipe(kind: UnixSocket.Kind) throws {
        let (left, right) = try UnixSocket.socketPair(kind)
        let pipe = try Pipe()
        try UnixSocket.sendFileDescriptors([pipe.writeEnd], over: left, message: Array("fd".utf8))
        let message = try UnixSocket.receiveFileDescriptors(from: right)
        #expect(message.bytes == Array("fd".utf8))
        try #require(message.descriptors.count == 1)
        let received = message.descriptors[0]
        #expect(received.rawValue != pipe.writeEnd.rawValue)
        #expect(try received.isCloseOnExec())  // MSG_CMSG_CLOEXEC
        try received.write("through the received fd")
        try received.close()
        try pipe.writeEnd.close()
        #expect(String(decoding: try pipe.readEnd.readToEnd(), as: UTF8.self) == "through the received fd")
    }

    @Test func emptyMessageStillCarriesDescriptors() throws {
        let (left, right) = try UnixSocket.socketPair()
        let pipe = try Pipe()
        try UnixSocket.sendFileDescriptors([pipe.readEnd, pipe.writeEnd], over: left)
        let message = try UnixSocket.receiveFileDescriptors(from: right)
        #expect(message.bytes == [0])  // the filler byte
        #expect(message.descriptors.count == 2)
    }

    @Test func tooManyDescriptorsIsEMSGSIZEAndNothingLeaks() throws {
        let (left, right) = try UnixSocket.socketPair(.seqpacket)
        // A memfd with a unique name, so its copies can be counted while other tests open fds.
        let probe = try Linux.memfdCreate(name: "berth-emsgsize-probe")
        try UnixSocket.sendFileDescriptors([probe, probe, probe, probe], over: left)
        let error = #expect(throws: CoreError.self) {
            try UnixSocket.receiveFileDescriptors(from: right, maxDescriptors: 1)
        }
        #expect(error?.cause?.errno == EMSGSIZE)
        let copies = TestSupport.listDirectory("/proc/self/fd").filter {
            TestSupport.readLink("/proc/self/fd/\($0)").hasPrefix("/memfd:berth-emsgsize-probe")
        }
        #expect(copies == ["\(probe.rawValue)"])  // only our own: the received ones were closed
    }

    @Test func peerCredentialsAreOurs() throws {
        let (left, right) = try UnixSocket.socketPair()
        let expected = PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
        #expect(try UnixSocket.peerCredentials(of: left) == expected)
        #expect(try UnixSocket.peerCredentials(of: right) == expected)
    }

    @Test func boundDatagramSocketReceivesFromAConnectedOne() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.removeDirectory(directory, files: ["sock"]) }
        let server = try UnixSocket.bind(path: "\(directory)/sock", kind: .datagram)
        let client = try UnixSocket.connect(path: "\(directory)/sock", kind: .datagram)
        try client.write("ping")
        #expect(try server.read(upToCount: 16) == Array("ping".utf8))
    }

    @Test func overlongSocketPathIsInvalidArgument() {
        let error = #expect(throws: CoreError.self) {
            try UnixSocket.bind(path: "/tmp/" + String(repeating: "x", count: 200))
        }
        #expect(error?.code == .invalidArgument)
    }
}
