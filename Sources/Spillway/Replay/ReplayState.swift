import DequeModule
import SpillwaySpool

/// What the delivery loop and the spool loop share about replay: whether it may
/// run, the records read for it, and what Kafka said about them. Every replay
/// rule lives here. Replayed records stay counted in the spool until Kafka
/// acknowledges them, so nothing here is a term of the ledger.
struct ReplayState: Sendable {
    /// An operator paused replay (live traffic is unaffected).
    private(set) var paused = false
    /// The breaker lets replayed records through (closed, or forced closed).
    private(set) var breakerAllows = false
    /// Records read from the spool, waiting for the delivery loop.
    private(set) var outbox = Deque<SpooledRecord>()
    /// Taken by the delivery loop and not yet handed to librdkafka: neither in
    /// the outbox nor in flight, yet still in the spool, so not to be read again.
    private(set) var beingSent = 0
    /// Acknowledged by Kafka: to delete from the spool.
    private(set) var acks: [Int64] = []
    /// Refused by Kafka for a reason about the record: to move to the dead-letter area.
    private(set) var deadLetters: [(id: Int64, reason: String)] = []
    /// Sent and not taken (a failure or a purge): their failed attempts are counted in the spool.
    private(set) var failed: [Int64] = []
    /// Of those, the ones whose request was on the wire: marked possibly persisted in the spool.
    private(set) var possiblyPersisted: [Int64] = []
    /// Read the spool again from this id once nothing is in flight (a failed,
    /// purged or discarded replay): those records were never acknowledged.
    private(set) var rewind: Int64?
    /// Operators' ceilings, changeable while running.
    private(set) var configuration: ReplayConfiguration
    /// Records per second the replay controller allows now, and what it is doing.
    private(set) var rate: Double = 0
    private(set) var phase = ReplayPhase.idle

    init(configuration: ReplayConfiguration) {
        self.configuration = configuration
    }

    /// The one formula for "replay may run now".
    var wanted: Bool { breakerAllows && !paused }

    mutating func pause() {
        paused = true
        discardOutbox()
    }

    mutating func resume() {
        paused = false
    }

    mutating func setBreakerAllows(_ allows: Bool) {
        breakerAllows = allows
        if !wanted { discardOutbox() }
    }

    mutating func setConfiguration(_ configuration: ReplayConfiguration) {
        self.configuration = configuration
    }

    mutating func setControl(rate: Double, phase: ReplayPhase) {
        self.rate = rate
        self.phase = phase
    }

    /// Records read for replay. If replay stopped meanwhile they are not kept
    /// here (they stay in the spool) and will be read again.
    mutating func offer(_ records: [SpooledRecord]) {
        guard let first = records.first else { return }
        guard wanted else {
            rewindTo(first.id)
            return
        }
        outbox.append(contentsOf: records)
    }

    /// Up to `max` records for the delivery loop, oldest first.
    mutating func take(max: Int) -> [SpooledRecord] {
        guard wanted, !outbox.isEmpty else { return [] }
        let count = min(outbox.count, max)
        var batch: [SpooledRecord] = []
        batch.reserveCapacity(count)
        for _ in 0..<count { batch.append(outbox.removeFirst()) }
        beingSent += count
        return batch
    }

    /// The delivery loop is done with `count` records it took: each was handed to
    /// librdkafka (now in flight), refused, or given back with `unsent(from:)`.
    mutating func handedOver(_ count: Int) {
        precondition(count <= beingSent, "more records handed over than taken")
        beingSent -= count
    }

    /// The delivery loop could not send from `id` on (queue full, a failure):
    /// forget what was read after it and read it again later.
    mutating func unsent(from id: Int64) {
        outbox.removeAll()
        rewindTo(id)
    }

    /// Kafka's verdicts on replayed records; failed ones are read again from the oldest.
    mutating func settle(acks newAcks: [Int64], deadLetters newDeadLetters: [(id: Int64, reason: String)], failed newFailed: [Int64], possiblyPersisted newPossiblyPersisted: [Int64]) {
        acks += newAcks
        deadLetters += newDeadLetters
        failed += newFailed
        possiblyPersisted += newPossiblyPersisted
        if let oldest = newFailed.min() { rewindTo(oldest) }
    }

    /// What the spool loop carries out for the verdicts: deletes, dead-letter moves, attempt counts.
    struct Bookkeeping: Sendable {
        var acks: [Int64]
        var deadLetters: [(id: Int64, reason: String)]
        var failed: [Int64]
        var possiblyPersisted: [Int64]

        var isEmpty: Bool { acks.isEmpty && deadLetters.isEmpty && failed.isEmpty && possiblyPersisted.isEmpty }
    }

    /// The verdicts so far, taken and cleared at once.
    mutating func takeBookkeeping() -> Bookkeeping {
        defer {
            acks.removeAll(keepingCapacity: true)
            deadLetters.removeAll(keepingCapacity: true)
            failed.removeAll(keepingCapacity: true)
            possiblyPersisted.removeAll(keepingCapacity: true)
        }
        return Bookkeeping(acks: acks, deadLetters: deadLetters, failed: failed, possiblyPersisted: possiblyPersisted)
    }

    var hasBookkeeping: Bool { !acks.isEmpty || !deadLetters.isEmpty || !failed.isEmpty || !possiblyPersisted.isEmpty }

    /// The id to read from again, once nothing of the replay is in flight, waiting
    /// to be sent, or settled by Kafka and not yet carried out in the spool: a
    /// record acknowledged but not yet deleted would be read and sent again, and
    /// one whose possibly-persisted mark is not yet written would go out unmarked.
    mutating func takeRewind(replayInFlight: Int) -> Int64? {
        guard replayInFlight == 0, beingSent == 0, outbox.isEmpty, !hasBookkeeping, let id = rewind else { return nil }
        rewind = nil
        return id
    }

    /// Whether replay may start again from the oldest record: nothing of it is in
    /// flight, being sent, waiting to be sent, or acknowledged and not yet deleted
    /// (those would be sent twice).
    func mayReadFromOldest(replayInFlight: Int) -> Bool {
        replayInFlight == 0 && beingSent == 0 && outbox.isEmpty && !hasBookkeeping
    }

    private mutating func discardOutbox() {
        if let first = outbox.first { rewindTo(first.id) }
        outbox.removeAll()
    }

    private mutating func rewindTo(_ id: Int64) {
        rewind = min(rewind ?? id, id)
    }
}
