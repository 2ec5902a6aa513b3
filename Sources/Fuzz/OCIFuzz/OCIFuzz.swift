// Fuzz target `oci`: the OCI config parser berth-runtime runs on every config.json — the JSON
// parser, the Spec decoder and `validate()` — and the writer: whatever decodes must encode and
// decode again to the same Spec. Errors are fine; a crash, a hang or a mismatch is not.
import FuzzDriver
import JSON
import OCI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = FuzzDriver.bytes(data, size)
    guard let spec = try? Spec.decode(from: bytes) else { return 0 }
    _ = try? spec.validate()
    guard let written = try? JSONCodec.encode(spec) else { fatalError("a decoded Spec cannot be encoded") }
    guard let back = try? Spec.decode(from: written), back == spec else {
        fatalError("a decoded Spec does not survive an encode/decode round trip")
    }
    return 0
}

@main
enum OCIFuzzMain {
    static func main() { FuzzDriver.main(fuzz) }
}
