// ExitCounts: how many exits the engine has seen per container since it started, and the last
// exit code (`wait` next-exit and `attach` count them). A removed container's entry is kept for
// a waiter that wakes after the removal, but only for the `keptAfterRemoval` (128) most recently
// removed containers: an engine that runs thousands of short containers must not keep one entry
// for each of them. A waiter resumes on the engine's actor right after the removal's notify, long
// before 128 more removals could happen.
struct ExitCounts {
    struct Entry: Equatable {
        var count: Int
        var code: Int32
    }

    let keptAfterRemoval: Int
    private var entries: [String: Entry] = [:]
    /// Removed containers' ids, oldest first; `head` is where the live part of the queue starts.
    private var removed: [String] = []
    private var head = 0

    init(keptAfterRemoval: Int = 128) {
        self.keptAfterRemoval = keptAfterRemoval
    }

    subscript(id: String) -> Entry? { entries[id] }

    /// The number of entries held (for tests).
    var count: Int { entries.count }

    /// Counts an exit of `id` with `code`.
    mutating func record(_ id: String, code: Int32) {
        entries[id] = Entry(count: (entries[id]?.count ?? 0) + 1, code: code)
    }

    /// `id` was removed: its entry goes once `keptAfterRemoval` later removals have happened.
    mutating func removed(_ id: String) {
        guard entries[id] != nil else { return }
        removed.append(id)
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
