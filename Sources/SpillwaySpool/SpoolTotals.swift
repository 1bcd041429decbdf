/// Running counts and sizes of a spool, kept in the file and mirrored in memory,
/// so reading them never scans.
public struct SpoolTotals: Sendable, Hashable {
    public var readyCount: Int = 0
    public var readyBytes: Int = 0
    public var deadCount: Int = 0
    public var deadBytes: Int = 0
    /// Records evicted to stay within the bounds, since the file was created.
    public var evictedCount: Int = 0
    public var evictedBytes: Int = 0
    /// Escrow copies: records sent to Kafka at acknowledgement level `kafka` that
    /// Kafka has not answered yet. Not ready (never replayed), but on disk, so
    /// they count against the bounds.
    public var escrowCount: Int = 0
    public var escrowBytes: Int = 0
    /// The id the next appended record gets.
    public var nextID: Int64 = 1

    public init() {}

    /// Records: ready and dead letters (escrow copies are not records yet).
    /// Sums saturate: a figure read from a damaged file may be near Int's bounds.
    public var count: Int { readyCount.addingSaturated(deadCount) }
    public var bytes: Int { readyBytes.addingSaturated(deadBytes) }
    /// Everything the bounds are charged with: records and escrow copies.
    public var heldCount: Int { count.addingSaturated(escrowCount) }
    public var heldBytes: Int { bytes.addingSaturated(escrowBytes) }
}
