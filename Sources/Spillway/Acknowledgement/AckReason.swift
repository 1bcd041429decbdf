/// Why an answer at level `spool` or `kafka` vouches for less than was asked.
/// Counted by level in `spillway_ack_answered_total`.
public enum AckReason: String, Sendable, Hashable, CaseIterable, Codable {
    /// Too many callers were waiting already (`ack.maxPendingRecords`/`Bytes`):
    /// answered at once, like `memory`, rather than queued without limit.
    case capacity = "ack_capacity"
    /// The level was not reached within `ack.timeout`; the record keeps going.
    case timeout = "ack_timeout"
    /// Asked for `kafka`, but Kafka could not take the record now (the breaker is
    /// not sending, the queue was full, or the delivery failed): it is committed to
    /// the spool and will be replayed.
    case kafkaUnavailable = "ack_kafka_unavailable"
    /// Asked for `kafka`, and Kafka refused the record for a reason about itself:
    /// it is in the spool's dead-letter area, and will not be sent again.
    case deadLetter = "ack_dead_letter"
}
