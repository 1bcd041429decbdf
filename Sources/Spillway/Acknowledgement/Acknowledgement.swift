/// The answer to `send(…, ack:)`: what became of the record, and how far it had
/// got when its caller was answered. `reached` is the promise: a record answered
/// with `reached == .spool` is committed to the spool file; with `.kafka`, Kafka
/// acknowledged it at `partition` and `offset`.
public struct Acknowledgement: Sendable, Hashable {
    /// `delivered` only at level `kafka`; otherwise as `send` answers.
    public var disposition: Disposition
    /// The strongest level the record had reached when answered: `kafka`
    /// (acknowledged by Kafka), `spool` (committed to the spool file), `memory`
    /// (only in memory), or `nil` when it was not kept (dropped, rejected).
    public var reached: AckLevel?
    /// Where Kafka stored it, when `reached == .kafka`.
    public var partition: Int32?
    /// Kafka's offset, when `reached == .kafka` and the producer asked for
    /// acknowledgements (`nil` with `kafka.acks = none`, which gets none).
    public var offset: Int64?
    /// Set when the answer vouches for less than the level asked.
    public var reason: AckReason?

    public init(disposition: Disposition, reached: AckLevel?, partition: Int32? = nil, offset: Int64? = nil, reason: AckReason? = nil) {
        self.disposition = disposition
        self.reached = reached
        self.partition = partition
        self.offset = offset
        self.reason = reason
    }

    /// The answer at level `memory`: the disposition, nothing more.
    init(memory disposition: Disposition, reason: AckReason? = nil) {
        self.init(disposition: disposition, reached: disposition.isAccepted ? .memory : nil, reason: reason)
    }
}
