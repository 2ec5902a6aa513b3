// Fuzz target `cni`: the CNI result parser — what a plugin prints on stdout, turned into the
// endpoint `inspect` shows (address, prefix, gateway, MAC). A plugin is outside berth's control:
// any output must give an endpoint or nothing, never a crash.
import API
import EngineCore
import Foundation
import FuzzDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let output = Data(bytes: data, count: size)
    guard let result = (try? JSONSerialization.jsonObject(with: output)) as? [String: Any] else { return 0 }
    _ = CNIResult.endpoint(Engine_NetworkInspect(), result: result)
    return 0
}

@main
enum CNIFuzzMain {
    static func main() { FuzzDriver.main(fuzz) }
}
