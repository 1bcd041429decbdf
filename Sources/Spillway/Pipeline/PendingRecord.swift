import SpillwaySpool

/// A record accepted at intake, stamped with its id; lives in memory until it
/// is delivered or written to the spool.
struct PendingRecord: Sendable {
    /// Monotonic intake id.
    var id: UInt64
    var record: Record
    /// The acknowledgement its caller waits for (`memory`: nobody waits). Next to
    /// `record`, it fits in that struct's tail padding: the hand-over copies no more.
    var ack: AckLevel = .memory
    /// Payload bytes, charged against the memory bounds.
    var size: Int
}
