/// Where every accepted record is, at one moment:
///
///     accepted + recovered = delivered + queued + inFlight + spooled + dropped
///
/// The fields can only change through the moves below, and each move takes from
/// one term exactly what it gives to another, so the equation holds by
/// construction, not by care at 40 call sites. The pipeline makes every move
/// under its lock, so a snapshot always balances.
public struct Ledger: Sendable, Hashable, Codable {
    /// Records accepted by `send` in this run (queued, spooled or dropped).
    public private(set) var accepted = 0
    /// Records found in the spool when this run opened it.
    public private(set) var recovered = 0
    /// Acknowledged by Kafka, live or replayed from the spool.
    public private(set) var delivered = 0
    /// In memory: the live queue plus the spool's hand-off.
    public private(set) var queued = 0
    /// Handed to librdkafka, waiting for a delivery report (live records only;
    /// replayed ones stay counted in `spooled` until Kafka acknowledges them).
    public private(set) var inFlight = 0
    /// In the spool file, ready or dead-lettered.
    public private(set) var spooled = 0
    /// Dropped, by `DropReason.rawValue`.
    public private(set) var dropped: [String: Int] = [:]

    // Figures that are not terms of the equation.

    /// Of `delivered`, how many came from the spool.
    public private(set) var replayed = 0
    /// Replayed records handed to librdkafka, not yet reported.
    public internal(set) var replayInFlight = 0
    /// Records written to the spool in this run.
    public private(set) var spilled = 0
    /// Records moved to the dead-letter area in this run.
    public private(set) var deadLettered = 0
    /// Of `deadLettered`, spooled rows that could not be sent as stored (a
    /// damaged or hand-edited row): replay moved them aside instead of stopping.
    public private(set) var quarantined = 0
    /// Records that went to the spool (or were marked there) after a delivery that
    /// was on the wire when it failed: they may be in Kafka already, so their replay
    /// may be a duplicate. Every duplicate a consumer sees is one of these, or a
    /// replay after a crash.
    public private(set) var possiblyPersisted = 0
    /// Refused at intake, by `Rejection.code` (and, from the HTTP ingest,
    /// `topic_not_allowed` and `malformed_record`); never accepted.
    public private(set) var rejected: [String: Int] = [:]
    /// Of `queued`: the live queue, and its bytes.
    public private(set) var liveQueued = 0
    public private(set) var liveQueuedBytes = 0
    /// Bytes of live records in flight.
    public private(set) var inFlightBytes = 0
    /// Of `queued`: the spool's hand-off (including a batch being written), and its bytes.
    public private(set) var handoffQueued = 0
    public private(set) var handoffBytes = 0

    public init() {}

    public var droppedTotal: Int { dropped.values.reduce(0, +) }

    /// Zero at every moment; anything else is a lost or double-counted record.
    public var imbalance: Int {
        accepted + recovered - (delivered + queued + inFlight + spooled + droppedTotal)
    }

    public func dropped(_ reason: DropReason) -> Int {
        dropped[reason.rawValue] ?? 0
    }

    // MARK: Moves. Each one keeps the equation; none is public.

    /// A record refused at intake: never accepted, so outside the equation.
    mutating func reject(_ code: String, count: Int = 1) {
        rejected[code, default: 0] += count
    }

    /// Accepted into the live queue.
    mutating func acceptIntoLive(bytes: Int) {
        accepted += 1
        queued += 1
        liveQueued += 1
        liveQueuedBytes += bytes
    }

    /// Accepted into the spool's hand-off.
    mutating func acceptIntoHandoff(bytes: Int) {
        accepted += 1
        queued += 1
        handoffQueued += 1
        handoffBytes += bytes
    }

    /// Accepted and dropped at once (shutting down, no spool).
    mutating func acceptDropped(_ reason: DropReason) {
        accepted += 1
        drop(reason, 1)
    }

    /// Live records handed to librdkafka.
    mutating func liveToFlight(_ count: Int, bytes: Int) {
        liveQueued -= count
        liveQueuedBytes -= bytes
        queued -= count
        inFlight += count
        inFlightBytes += bytes
    }

    /// librdkafka would not take them (queue full): back to the live queue.
    mutating func flightToLive(_ count: Int, bytes: Int) {
        inFlight -= count
        inFlightBytes -= bytes
        liveQueued += count
        liveQueuedBytes += bytes
        queued += count
    }

    /// Kafka acknowledged live records.
    mutating func flightDelivered(_ count: Int, bytes: Int) {
        inFlight -= count
        inFlightBytes -= bytes
        delivered += count
    }

    /// Live records that failed or were purged go to the spool's hand-off.
    mutating func flightToHandoff(_ count: Int, bytes: Int) {
        inFlight -= count
        inFlightBytes -= bytes
        queued += count
        handoffQueued += count
        handoffBytes += bytes
    }

    /// Live records that cannot be kept (no spool).
    mutating func flightDropped(_ count: Int, bytes: Int, _ reason: DropReason) {
        inFlight -= count
        inFlightBytes -= bytes
        drop(reason, count)
    }

    /// The breaker stopped sending: the live queue moves to the hand-off.
    mutating func liveToHandoff(_ count: Int, bytes: Int) {
        liveQueued -= count
        liveQueuedBytes -= bytes
        handoffQueued += count
        handoffBytes += bytes
    }

    /// Queued live records that cannot be kept (no spool).
    mutating func liveDropped(_ count: Int, bytes: Int, _ reason: DropReason) {
        liveQueued -= count
        liveQueuedBytes -= bytes
        queued -= count
        drop(reason, count)
    }

    /// Records leave the hand-off without reaching the spool (memory bound, disk failure).
    mutating func handoffDropped(_ count: Int, bytes: Int, _ reason: DropReason) {
        handoffQueued -= count
        handoffBytes -= bytes
        queued -= count
        drop(reason, count)
    }

    /// The spool committed `count` records from the hand-off; to make room it
    /// evicted `evicted` records (older ones, or some of these).
    mutating func handoffSpooled(_ count: Int, bytes: Int, evicted: Int) {
        handoffQueued -= count
        handoffBytes -= bytes
        queued -= count
        spooled += count - evicted
        spilled += max(0, count - evicted)
        drop(.spoolEvicted, evicted)
    }

    /// Of records just spooled, `count` went to the dead-letter area.
    mutating func countDeadLettered(_ count: Int) {
        deadLettered += count
    }

    /// Of spooled records, `count` were quarantined: moved to the dead-letter area unread.
    mutating func countQuarantined(_ count: Int) {
        deadLettered += count
        quarantined += count
    }

    mutating func countPossiblyPersisted(_ count: Int) {
        possiblyPersisted += count
    }

    /// Replayed records Kafka acknowledged, deleted from the spool.
    mutating func spoolDelivered(_ count: Int) {
        spooled -= count
        delivered += count
        replayed += count
    }

    /// A live record whose escrow copy is on disk failed: the copy becomes its
    /// spool record, with no second copy written.
    mutating func flightToSpooled(_ count: Int, bytes: Int) {
        inFlight -= count
        inFlightBytes -= bytes
        spooled += count
        spilled += count
    }

    /// Spooled records evicted to make room for something that is not a record
    /// (an escrow copy).
    mutating func spoolEvicted(_ count: Int) {
        spooled -= count
        drop(.spoolEvicted, count)
    }

    /// Records found in the spool when it opened.
    mutating func recover(_ count: Int) {
        recovered += count
        spooled += count
    }

    private mutating func drop(_ reason: DropReason, _ count: Int) {
        guard count > 0 else { return }
        dropped[reason.rawValue, default: 0] += count
    }
}
