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
    /// How long a `kafka` record sent live waits before its escrow copy is
    /// written; `nil`: a quarter of `timeout`. A copy only matters to a caller
    /// still waiting at its deadline, and a healthy Kafka answers long before, so
    /// the live path skips the disk (a copy written then deleted) for nearly every
    /// record. `.zero` writes every copy at once.
    public var escrowDelay: Duration?

    public init(timeout: Duration = .seconds(2), maxPendingRecords: Int = 10_000, maxPendingBytes: Int = 16 << 20, escrowDelay: Duration? = nil) {
        self.timeout = timeout
        self.maxPendingRecords = maxPendingRecords
        self.maxPendingBytes = maxPendingBytes
        self.escrowDelay = escrowDelay
    }

    /// The delay escrow copies wait, `escrowDelay` or its default.
    var effectiveEscrowDelay: Duration { escrowDelay ?? timeout / 4 }

    /// Names the first setting that makes no sense.
    public func validate() throws(SpillwayConfigurationError) {
        if timeout < .milliseconds(1) { throw SpillwayConfigurationError("ack.timeout must be at least 1 ms") }
        if maxPendingRecords < 1 { throw SpillwayConfigurationError("ack.maxPendingRecords must be at least 1") }
        if maxPendingBytes < 1 { throw SpillwayConfigurationError("ack.maxPendingBytes must be at least 1") }
        if let escrowDelay, escrowDelay < .zero || escrowDelay >= timeout {
            throw SpillwayConfigurationError("ack.escrowDelay must be at least 0 and shorter than ack.timeout (\(timeout)), or the copy comes too late for the deadline it is for")
        }
    }
}
