// FuzzDriver: the `main` shared by berth's fuzz targets (Sources/Fuzz/*). Built by scripts/fuzz.sh
// with libFuzzer (`-sanitize=fuzzer,address -DBERTH_FUZZ`), it hands control to libFuzzer's
// driver; in a normal build it replays the input files named on its command line, so every input
// that once crashed a fuzzer is a plain regression program (scripts/test.sh replays them).
#if canImport(Glibc)
import Glibc
#endif

public typealias FuzzTarget = (UnsafePointer<UInt8>, Int) -> CInt

/// The target libFuzzer calls back (a C callback cannot capture it).
nonisolated(unsafe) private var target: FuzzTarget = { _, _ in 0 }

#if BERTH_FUZZ
/// libFuzzer's driver, exported by its runtime for programs that have their own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
#endif

public enum FuzzDriver {
    /// Runs libFuzzer (fuzz builds) or replays the files given as arguments; never returns.
    public static func main(_ body: @escaping FuzzTarget) -> Never {
        target = body
        #if BERTH_FUZZ
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv as UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in target(data, size) })
        #else
        for path in CommandLine.arguments.dropFirst() {
            guard let bytes = read(path) else {
                print("cannot open \(path)")
                exit(2)
            }
            _ = bytes.withUnsafeBufferPointer { target($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
            print("ok \(path) (\(bytes.count) bytes)")
        }
        exit(0)
        #endif
    }

    /// The input as an array (targets that want one).
    public static func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data, count: size))
    }

    private static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        return bytes
    }
}
