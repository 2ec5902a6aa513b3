// Fuzz target `rpc`: the ttrpc frame decoder and request dispatch (scripts/fuzz.sh rpc).
// Each input is split in two: the first half goes to a server connection (with a registry of
// every call shape), the second to a client connection with a few calls open, both fed in
// irregular chunks. Nothing may crash, and state must stay bounded.
import FuzzDriver
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

@main
enum RPCFuzzMain {
    static func main() { FuzzDriver.main(fuzz) }
}
