// ExitCounts: how many exits the engine has seen per container since it started, and the last
// exit code (`wait` next-exit and `attach` count them). A removed container's entry is kept for
// a waiter that wakes after the removal, but only for the `keptAfterRemoval` (128) most recently
// removed containers: an engine that runs thousands of short containers must not keep one entry
// for each of them. A waiter resumes on the engine's actor right after the removal's notify, long
// before 128 more removals could happen. Entries are keyed by the id's 32 bytes, not by the
// 64-character String: a String that long is a heap block of its own, and 128 of them, made one
// by one through a busy spell, kept about 128 heap pages resident after it.
struct ExitCounts {
    /// A container id as a value: the 32 bytes of a 64-hex-digit id (every id the engine makes),
    /// else the string itself.
    enum Key: Hashable {
        case digest(UInt64, UInt64, UInt64, UInt64)
        case other(String)

        init(_ id: String) {
            var words: [UInt64] = []
            var word: UInt64 = 0
            var digits = 0
            for byte in id.utf8 {
                let value: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
                default: self = .other(id); return
                }
                word = word << 4 | UInt64(value)
                digits += 1
                if digits % 16 == 0 { words.append(word); word = 0 }
            }
            guard digits == 64 else { self = .other(id); return }
            self = .digest(words[0], words[1], words[2], words[3])
        }
    }

    struct Entry: Equatable {
        var count: Int
        var code: Int32
    }

    let keptAfterRemoval: Int
    private var entries: [Key: Entry] = [:]
    /// Removed containers' ids, oldest first; `head` is where the live part of the queue starts.
    private var removed: [Key] = []
    private var head = 0

    init(keptAfterRemoval: Int = 128) {
        self.keptAfterRemoval = keptAfterRemoval
    }

    subscript(id: String) -> Entry? { entries[Key(id)] }

    /// The number of entries held (for tests).
    var count: Int { entries.count }

    /// Counts an exit of `id` with `code`.
    mutating func record(_ id: String, code: Int32) {
        let key = Key(id)
        entries[key] = Entry(count: (entries[key]?.count ?? 0) + 1, code: code)
    }

    /// `id` was removed: its entry goes once `keptAfterRemoval` later removals have happened.
    mutating func removed(_ id: String) {
        let key = Key(id)
        guard entries[key] != nil else { return }
        removed.append(key)
        while removed.count - head > keptAfterRemoval {
            let oldest = removed[head]
            head += 1
            entries[oldest] = nil
        }
        if head > keptAfterRemoval {  // compact the queue now and then, not on every removal
            removed.removeFirst(head)
            head = 0
        }
    }
}
