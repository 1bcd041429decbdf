/// What one delivery report (or librdkafka's refusal at `produce`) means for
/// the record and for the breaker, as `ReportClassifier` decides it.
struct ReportVerdict: Sendable {
    enum Move: Sendable {
        /// A live record Kafka acknowledged, and where it stored it (-1 when unknown).
        /// The delivery loop settles acknowledgements with
        /// `Settlement.addAcknowledged` and builds no verdict for them; this move
        /// and `replayAcknowledged` say the same in a verdict, so a settlement
        /// can be written as a list of verdicts (the state model tests do).
        case delivered(PendingRecord, partition: Int32 = -1, offset: Int64 = -1)
        /// A live record that failed for a reason about the cluster, or was purged:
        /// to the spool (marked when it may already be in Kafka).
        case spill(PendingRecord)
        /// A live record Kafka refused for a reason about itself: to the dead-letter area.
        case deadLetter(PendingRecord, reason: String)
        /// A replayed record Kafka acknowledged: delete it from the spool.
        case replayAcknowledged(id: Int64)
        /// A replayed record Kafka refused for a reason about itself: to the dead-letter area.
        case replayDeadLetter(id: Int64, reason: String)
        /// A replayed record that failed or was purged: it stays in the spool (marked
        /// when it may already be in Kafka); read it again.
        case replayRetry(id: Int64, possiblyPersisted: Bool)
    }

    var move: Move
    /// What the breaker learns from it, if anything.
    var outcome: CallOutcome?
    /// The error's name for `spillway_kafka_errors_total` (our own purges are not counted).
    var errorName: String?
    /// The error as an operator reads it, for the last-error line.
    var errorDescription: String?
}
