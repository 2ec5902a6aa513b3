// RecentEnvelopes: the window of envelopes shims forwarded lately, by which EventExchange knows a
// retransmission (a shim that missed the acknowledgement sends the same envelope again; delivery
// is at least once, and subscribers should see it once). Each envelope is kept as a 64-bit digest
// of its timestamp and contents, in a set for the lookup and a ring for the order: at 4096
// envelopes about 100 KB, where whole fingerprints in a set and a list whose spent front was
// dropped now and then held about 400 KB of the supervisor's heap after a busy spell. Two
// different envelopes share a digest in one window with odds of about 1 in 10^12.
import API

struct RecentEnvelopes {
    let limit: Int
    private var digests: Set<UInt64> = []
    /// The digests in arrival order once `limit` have come: the oldest at `oldest`.
    private var ring: [UInt64] = []
    private var oldest = 0

    init(limit: Int) { self.limit = limit }

    var count: Int { digests.count }

    /// Records `envelope`; false when it is in the window already (a retransmission). The oldest
    /// leaves the window when a new one arrives with the window full.
    mutating func insert(_ envelope: Containerd_Types_Envelope) -> Bool {
        let digest = Self.digest(envelope)
        guard digests.insert(digest).inserted else { return false }
        if ring.count < limit {
            ring.append(digest)
        } else {
            digests.remove(ring[oldest])
            ring[oldest] = digest
            oldest = (oldest + 1) % limit
        }
        return true
    }

    static func digest(_ envelope: Containerd_Types_Envelope) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(envelope.timestamp.seconds)
        hasher.combine(envelope.timestamp.nanos)
        hasher.combine(envelope.namespace)
        hasher.combine(envelope.topic)
        hasher.combine(envelope.event.typeURL)
        hasher.combine(envelope.event.value)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }
}
