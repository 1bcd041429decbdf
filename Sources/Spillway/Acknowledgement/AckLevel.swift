/// How far a record must have got before its caller is answered, chosen per
/// call. Most data needs no more than `memory`, which never waits; `spool` and
/// `kafka` are for records the caller would rather not lose when the host dies,
/// and only their own callers wait for them.
public enum AckLevel: String, Sendable, Hashable, CaseIterable, Codable {
    /// Answered after the hand-over, at once: `send` as it always was. A crash
    /// loses what is still in memory (bounded by the queue).
    case memory
    /// Answered once the record is committed to the spool (write-ahead, commits
    /// grouped). A process crash loses none of these; with `spool.durability =
    /// full` neither does a power cut. The record then leaves the spool like any
    /// spooled record: replayed, acknowledged, deleted.
    case spool
    /// Answered once Kafka acknowledged the record, with its partition and offset;
    /// or, when that takes longer than `ack.timeout`, once the record is committed
    /// to the spool (an escrow copy, written beside the live send). Kafka being
    /// down never turns into an error for the caller.
    case kafka
}
