// FileDescriptorTests: ownership (close once, release), I/O helpers, duplication and pipes.
import Errdefs
import Glibc
import Sys
import Testing

@Suite("FileDescriptor")
struct FileDescriptorTests {
    @Test func closeHappensOnceAndLaterCallsDoNothing() throws {
        let fd = try TestSupport.devNull()
        #expect(fd.isOpen)
        try fd.close()
        #expect(!fd.isOpen)
        #expect(fd.rawValue == -1)
        try fd.close()
        // I/O after close reaches the kernel as fd -1: EBADF, never a recycled descriptor.
        let error = #expect(throws: CoreError.self) { try fd.write("x") }
        #expect(error?.cause?.errno == EBADF)
    }

    @Test func releaseHandsOwnershipBack() throws {
        let fd = try TestSupport.devNull()
        let raw = fd.release()
        #expect(raw >= 0)
        #expect(!fd.isOpen)
        #expect(fcntl(raw, F_GETFD) != -1)  // still open: release did not close it
        #expect(close(raw) == 0)
    }

    @Test func openedAndDuplicatedDescriptorsAreCloseOnExec() throws {
        let fd = try TestSupport.devNull()
        #expect(try fd.isCloseOnExec())
        let copy = try fd.duplicate(atLeast: 50)
        #expect(copy.rawValue >= 50)
        #expect(try copy.isCloseOnExec())
        try copy.setCloseOnExec(false)
        #expect(try copy.isCloseOnExec() == false)
    }

    @Test func pipeCarriesBytesAndSignalsEndOfFile() throws {
        let pipe = try Pipe()
        try pipe.writeEnd.write("berth")
        try pipe.writeEnd.close()
        #expect(try pipe.readEnd.readToEnd() == Array("berth".utf8))
        #expect(try pipe.readEnd.read(upToCount: 10).isEmpty)
    }

    @Test func memfdWriteSeekRead() throws {
        let memfd = try Linux.memfdCreate(name: "berth-test")
        try memfd.write([1, 2, 3, 4])
        try memfd.seek(to: 1)
        #expect(try memfd.readToEnd() == [2, 3, 4])
        #expect(try memfd.isCloseOnExec())
    }

    @Test func readToEndEnforcesItsLimit() throws {
        let memfd = try Linux.memfdCreate(name: "berth-test-limit")
        try memfd.write([UInt8](repeating: 7, count: 100))
        try memfd.seek(to: 0)
        let error = #expect(throws: CoreError.self) { try memfd.readToEnd(limit: 10) }
        #expect(error?.code == .resourceExhausted)
    }
}
