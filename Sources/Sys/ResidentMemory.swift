// ResidentMemory: gives back what an idle process keeps resident but does not use. The kernel maps
// a whole 64 KiB window of the binary's code around every page that is touched (fault-around),
// so after a few calls most of a binary's code counts in its RSS while its idle loop needs a few
// pages of it. Dropping the page-table entries of the read-only code mappings (madvise
// MADV_DONTNEED) is harmless — the pages stay in the page cache and fault back in on the next
// call — and only code is touched: writable or relocated mappings could hold private data.
// berth-shim does this after a second of quiet; berth-engine and berth-supervisor too, with the
// malloc heap's free pages (RPCNIO's DaemonMemory).
import CLinux
import Glibc

public enum ResidentMemory {
    /// Drops this process's resident code pages (r-xp file mappings). Returns the bytes advised.
    @discardableResult
    public static func releaseCode() -> Int {
        guard let maps = try? FileDescriptor.open("/proc/self/maps", flags: O_RDONLY).readToEnd(limit: 1 << 20) else {
            return 0
        }
        var ranges: [(start: UInt, length: Int)] = []
        for line in String(decoding: maps, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // address perms offset dev inode path; code of a file, not [vdso] or [vsyscall].
            guard fields.count >= 6, fields[1] == "r-xp", fields[5].hasPrefix("/") else { continue }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16),
                  end > start else { continue }
            ranges.append((start, Int(end - start)))
        }
        // Advise only after parsing, so the parser's own code is not faulted straight back in.
        var released = 0
        for range in ranges {
            if madvise(UnsafeMutableRawPointer(bitPattern: range.start), range.length, MADV_DONTNEED) == 0 {
                released += range.length
            }
        }
        return released
    }

    /// Returns the malloc heap's free pages to the kernel (glibc's malloc_trim: every arena, not
    /// only the top of the main one, which is all glibc trims by itself). Nothing allocated
    /// moves; a later allocation there faults in fresh zero pages.
    public static func releaseFreeHeap() {
        _ = berth_malloc_trim()
    }

    /// Caps glibc's malloc arenas. By default every thread that allocates gets an arena of its own,
    /// up to 8 per core, and each arena keeps the pages of the blocks freed in it; a daemon whose
    /// threads are mostly idle needs one. Call before other threads start (arenas made stay).
    public static func limitMallocArenas(to count: Int32) {
        _ = berth_malloc_arena_max(count)
    }
}
