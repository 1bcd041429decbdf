/// Where every accepted record is, at one moment. All terms change together
/// under the pipeline's lock, so a snapshot always balances:
///
///     accepted + recovered = delivered + queued + inFlight + spooled + dropped
public struct Ledger: Sendable, Hashable, Codable {
    /// Records accepted by `send` in this run (queued or spooled).
    public var accepted = 0
    /// Records found in the spool when this run started.
    public var recovered = 0
    /// Acknowledged by Kafka, live or replayed from the spool.
    public var delivered = 0
    /// In memory: the live queue plus the spool's hand-off.
    public var queued = 0
    /// Handed to librdkafka, waiting for a delivery report (live records only;
    /// replayed ones stay counted in `spooled` until Kafka acknowledges them).
    public var inFlight = 0
    /// In the spool file, ready or dead-lettered.
    public var spooled = 0
    /// Dropped, by `DropReason.rawValue`.
    public var dropped: [String: Int] = [:]

    // Figures that are not terms of the equation.

    /// Of `delivered`, how many came from the spool.
    public var replayed = 0
    /// Replayed records handed to librdkafka, not yet reported.
    public var replayInFlight = 0
    /// Records written to the spool in this run.
    public var spilled = 0
    /// Records moved to the dead-letter area in this run.
    public var deadLettered = 0
    /// Refused at intake, by `Rejection.code` (and, from the HTTP ingest,
    /// `topic_not_allowed` and `malformed_record`); never accepted.
    public var rejected: [String: Int] = [:]
    /// Of `queued`: the live queue, and its bytes.
    public var liveQueued = 0
    public var liveQueuedBytes = 0
    /// Bytes of live records in flight.
    public var inFlightBytes = 0
    /// Of `queued`: the spool's hand-off, and its bytes.
    public var handoffQueued = 0
    public var handoffBytes = 0

    public init() {}

    public var droppedTotal: Int { dropped.values.reduce(0, +) }

    /// Zero at every moment; anything else is a lost or double-counted record.
    public var imbalance: Int {
        accepted + recovered - (delivered + queued + inFlight + spooled + droppedTotal)
    }

    mutating func drop(_ reason: DropReason, _ count: Int = 1) {
        guard count > 0 else { return }
        dropped[reason.rawValue, default: 0] += count
    }

    func dropped(_ reason: DropReason) -> Int {
        dropped[reason.rawValue] ?? 0
    }
}
