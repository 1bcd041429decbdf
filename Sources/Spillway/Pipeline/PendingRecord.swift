import SpillwaySpool

/// A record accepted at intake, stamped with its id; lives in memory until it
/// is delivered or written to the spool.
struct PendingRecord: Sendable {
    /// Monotonic intake id.
    var id: UInt64
    var record: Record
    /// Payload bytes, charged against the memory bounds.
    var size: Int
}
