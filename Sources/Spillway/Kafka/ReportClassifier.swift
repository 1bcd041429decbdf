/// Decides what a failed delivery report (or librdkafka's refusal at
/// `produce`) means: where the record goes next and what the breaker learns.
/// Pure, so every error class has a test. Acknowledgements need no deciding:
/// the delivery loop settles them with `Settlement.addAcknowledged`.
///
/// - Cluster errors (`transient`): the record is kept (live ones go to the
///   spool, replayed ones stay there) and the breaker counts a failure.
/// - Record errors (`perRecord`): the record goes to the dead-letter area, and
///   the breaker learns nothing: one bad record must not open it for everyone.
/// - Our own purges: the record is kept, and nobody is told.
///
/// A failed record whose request was on the wire may be in Kafka already; it is
/// marked possibly persisted, so a duplicate it causes later is explained.
enum ReportClassifier {
    /// - Parameters:
    ///   - origin: the record as the delivery loop remembers it.
    ///   - error: why Kafka or librdkafka did not take it.
    ///   - possiblyPersisted: librdkafka's status for the record.
    static func classify(_ origin: InFlightRecord.Origin, error: KafkaError, possiblyPersisted: Bool = false) -> ReportVerdict {
        let kind = error.kind
        let description = error.description
        let name = kind == .purged ? nil : error.name
        let outcome: CallOutcome? = kind == .transient ? .failure(reason: description) : nil
        let move: ReportVerdict.Move
        switch (origin, kind) {
        case (.live(let pending), .perRecord): move = .deadLetter(pending, reason: description)
        case (.live(var pending), .transient), (.live(var pending), .purged):
            if possiblyPersisted { pending.record.possiblyPersisted = true }
            move = .spill(pending)
        case (.replay(let id), .perRecord): move = .replayDeadLetter(id: id, reason: description)
        case (.replay(let id), .transient), (.replay(let id), .purged): move = .replayRetry(id: id, possiblyPersisted: possiblyPersisted)
        }
        return ReportVerdict(move: move, outcome: outcome, errorName: name, errorDescription: kind == .purged ? nil : description)
    }
}
