// Fuzz target `archive`: the image-archive importer (tar, gzip, OCI layout, docker-archive,
// content ingestion) and the layer applier (confined extraction with whiteouts), fed the same
// input. Both work in a private directory under /dev/shm; after every input nothing may exist
// beside the two directories they were given — an escape from the snapshot is a crash.
#if canImport(Glibc)
import Glibc
#endif
import Archive
import FuzzDriver
import Images

private let work: String = {
    var template = Array("/dev/shm/berth-fuzz-archive-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("mkdtemp: errno \(errno)") }
    return String(cString: made)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = FuzzDriver.bytes(data, size)
    let store = work + "/store", root = work + "/root"
    if let content = try? ContentStore(root: store) {
        _ = try? ImageImporter(store: content).importArchive(MemorySource(bytes))
    }
    mkdir(root, 0o755)
    _ = try? LayerApplier.apply(MemorySource(bytes), to: root)
    let left = entries(work).filter { $0 != "store" && $0 != "root" }
    precondition(left.isEmpty, "written outside the directories given: \(left)")
    remove(store)
    remove(root)
    return 0
}

private func entries(_ directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// rm -rf without following symlinks (what the applier made may be anything).
private func remove(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        chmod(path, 0o700)
        for name in entries(path) { remove(path + "/" + name) }
        rmdir(path)
    } else {
        unlink(path)
    }
}

@main
enum ArchiveFuzzMain {
    static func main() { FuzzDriver.main(fuzz) }
}
