/// Bounds on callers waiting for `spool` and `kafka` acknowledgements: in time,
/// and in how many may wait at once, so waiting never grows without limit.
public struct AckConfiguration: Sendable, Hashable {
    /// How long a caller waits at most. At level `kafka`, past it the caller is
    /// answered `spooled` when the escrow copy is committed (the record keeps
    /// going to Kafka); otherwise with what the record has reached, and reason
    /// `ack_timeout`.
    public var timeout: Duration
    /// Callers waiting at once, counted in records; past it, a request is
    /// answered at once as at `memory`, with reason `ack_capacity`.
    public var maxPendingRecords: Int
    /// The same bound, in payload bytes of the records waited for.
    public var maxPendingBytes: Int

    public init(timeout: Duration = .seconds(2), maxPendingRecords: Int = 10_000, maxPendingBytes: Int = 16 << 20) {
        self.timeout = timeout
        self.maxPendingRecords = maxPendingRecords
        self.maxPendingBytes = maxPendingBytes
    }

    /// Names the first setting that makes no sense.
    public func validate() throws(SpillwayConfigurationError) {
        if timeout < .milliseconds(1) { throw SpillwayConfigurationError("ack.timeout must be at least 1 ms") }
        if maxPendingRecords < 1 { throw SpillwayConfigurationError("ack.maxPendingRecords must be at least 1") }
        if maxPendingBytes < 1 { throw SpillwayConfigurationError("ack.maxPendingBytes must be at least 1") }
    }
}
