// libFuzzer entry for the ttrpc frame decoder and request dispatch. Built only by
// scripts/fuzz-rpc.sh (`-sanitize=fuzzer,address`); libFuzzer supplies `main`.
// Each input is split in two: the first half goes to a server connection (with a registry of
// every call shape), the second to a client connection with a few calls open, both fed in
// irregular chunks. Nothing may crash, and state must stay bounded.
import RPC
#if canImport(Glibc)
import Glibc
#endif

private let registry: ServiceRegistry = {
    var r = ServiceRegistry()
    r.register(service: "f.S", method: "U", .unary { b, _ in b })
    r.register(service: "f.S", method: "SS", .serverStreaming { _, _, _ in })
    r.register(service: "f.S", method: "CS", .clientStreaming { _, _ in [] })
    r.register(service: "f.S", method: "B", .bidirectional { _, _, _ in })
    return r
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let half = bytes.count / 2
    let chunk = max(1, Int(bytes.first ?? 1) % 17)

    var server = ServerConnection(registry: registry)
    var i = 0
    while i < half {
        let end = min(half, i + chunk)
        for action in server.receive(bytes[i..<end]) {
            switch action {
            case .invoke(let inv):
                // Finish calls at once, the way a transport would after the handler returned.
                _ = ServerConnection.response(streamID: inv.streamID, .success(inv.payload ?? []))
                server.finished(streamID: inv.streamID)
            case .send(let out):
                precondition(out.count >= TTRPC.headerSize, "short frame")
            case .deliver, .endInbound, .close:
                break
            }
        }
        i = end
    }
    precondition(server.activeStreamCount <= half / TTRPC.headerSize + 1)

    var client = ClientConnection()
    for kind in [CallKind.unary, .serverStreaming, .bidirectional] {
        _ = try? client.startCall(service: "f.S", method: "U", payload: [], kind: kind)
    }
    i = half
    while i < bytes.count {
        let end = min(bytes.count, i + chunk)
        _ = client.receive(bytes[i..<end])
        i = end
    }
    return 0
}

#if BERTH_FUZZ
/// libFuzzer's driver, exported by its runtime for programs that have their own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// SwiftPM renames an executable's entry point and links `main` to it; hand control to libFuzzer.
@main
enum RPCFuzzDriver {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv as UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data, size) })
    }
}
#else
/// Without libFuzzer (a normal build), the target replays inputs given as files, so a crash the
/// fuzzer found can be re-run as a plain program and kept as a regression case.
@main
enum RPCFuzzReplay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                print("cannot open \(path)")
                exit(2)
            }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buffer, 1, buffer.count, file)
                if n <= 0 { break }
                bytes += buffer[..<n]
            }
            fclose(file)
            _ = bytes.withUnsafeBufferPointer { fuzz($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
            print("ok \(path) (\(bytes.count) bytes)")
        }
    }
}
#endif
