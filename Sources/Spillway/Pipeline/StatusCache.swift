import SpillwaySpool

/// What the loops publish for status pages, besides the ledger: the breaker's
/// figures, the spool's totals and whether it is open, the last error, and a
/// broker the loaded librdkafka cannot speak to. Nothing here decides where a
/// record goes; it is copied out whole, with the ledger, in one snapshot.
/// Owned by `PipelineState`, under its lock.
struct StatusCache: Sendable {
    private(set) var breaker = BreakerSnapshot()
    private(set) var spoolTotals = SpoolTotals()
    /// The spool has been opened: only then is the pipeline ready.
    private(set) var spoolOpen = false
    private(set) var lastError: String?
    /// Set while the loaded librdkafka cannot speak to the broker at all (read by `/readyz`).
    private(set) var kafkaIncompatibility: String?

    mutating func publishBreaker(_ snapshot: BreakerSnapshot) {
        breaker = snapshot
    }

    mutating func publishSpoolTotals(_ totals: SpoolTotals) {
        spoolTotals = totals
    }

    mutating func noteError(_ error: String?) {
        if let error { lastError = error }
    }

    /// Kafka's own error; while the broker is known to be incompatible, that explanation stays.
    mutating func noteKafkaError(_ error: String?) {
        if let error { lastError = kafkaIncompatibility ?? error }
    }

    /// The loaded librdkafka cannot speak to the broker (an explanation), or can again (`nil`).
    mutating func setKafkaIncompatibility(_ explanation: String?) {
        kafkaIncompatibility = explanation
        noteError(explanation)
    }

    /// The spool opened: a note on how (a corrupt one moved aside), or the error cleared.
    mutating func spoolOpened(totals: SpoolTotals, note: String?, clearsError: Bool) {
        spoolTotals = totals
        spoolOpen = true
        if let note {
            lastError = note
        } else if clearsError {
            lastError = nil
        }
    }

    mutating func spoolUnavailable(_ error: String) {
        spoolOpen = false
        lastError = error
    }
}
