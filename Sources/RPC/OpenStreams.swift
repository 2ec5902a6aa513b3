// OpenStreams: the stream ids a ClientConnection is waiting on, kept sorted in an array. A client
// numbers its streams in increasing order, so a new one is appended; the few open at a time are
// found by binary search. A Set<UInt32> did the same, but its generic metadata is built at run
// time through a scan of every protocol conformance in the binary, the first time in each process:
// a measurable part of a one-call CLI such as `berth ps`.
struct OpenStreams {
    private var ids: [UInt32] = []

    var count: Int { ids.count }

    /// Adds `id`, which is greater than every id added before.
    mutating func insert(_ id: UInt32) {
        precondition(ids.last.map { $0 < id } ?? true, "stream ids increase")
        ids.append(id)
    }

    func contains(_ id: UInt32) -> Bool { index(of: id) != nil }

    /// Removes `id`; false if it was not open.
    @discardableResult
    mutating func remove(_ id: UInt32) -> Bool {
        guard let index = index(of: id) else { return false }
        ids.remove(at: index)
        return true
    }

    private func index(of id: UInt32) -> Int? {
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low < ids.count && ids[low] == id ? low : nil
    }
}
