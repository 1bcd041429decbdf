import SpillwaySpool

/// The callers of `send(…, ack:)` and what they wait for: who waits and until
/// when (`AckWaiters`, bounded), the escrow copies of `kafka` records sent live
/// (`EscrowBook`), the figures by level (`AckCounts`), and the answers decided
/// under the lock, for whoever holds it next to deliver once it has released it.
/// Every rule about what an answer says lives here; where the record itself goes
/// is `RecordQueues`'s. Owned by `PipelineState`, under its lock.
struct AckBook: Sendable, AwaitedRecordKeeper {
    /// Callers waiting for `spool` or `kafka` acknowledgements, bounded.
    private(set) var waiters: AckWaiters<AckRecipient>
    /// Escrow copies of `kafka` records sent live.
    private(set) var escrow = EscrowBook()
    private var counts = AckCounts()
    /// Answers decided under the lock, for whoever holds it next to deliver after releasing it.
    private var answers: [AckAnswer] = []

    init(limits: AckConfiguration) {
        waiters = AckWaiters(limits: limits)
    }

    var limits: AckConfiguration { waiters.limits }

    /// The figures, with the callers waiting now.
    var figures: AckCounts {
        var figures = counts
        figures.pendingRecords = waiters.pendingCount
        figures.pendingBytes = waiters.pendingBytes
        return figures
    }

    // MARK: Intake

    mutating func countAccepted(_ level: AckLevel) {
        counts.countAccepted(level)
    }

    /// Whether one more caller at `level` for a record of `size` bytes stays within
    /// the waiting bounds (and, at `kafka`, the escrow queue's).
    func hasRoom(for level: AckLevel, size: Int) -> Bool {
        let escrowRoom = level != .kafka
            || (escrow.waitingCount < limits.maxPendingRecords && escrow.waitingBytes + size <= limits.maxPendingBytes)
        return escrowRoom && waiters.hasRoom(forBytes: size)
    }

    /// Registers the caller of record `id`, which is now `disposition`; with
    /// `escrowCopy`, queues a copy of it for the spool (a `kafka` record sent live).
    mutating func register(
        _ id: UInt64, level: AckLevel, size: Int, disposition: Disposition, recipient: AckRecipient,
        now: ContinuousClock.Instant, escrowCopy: PendingRecord? = nil
    ) {
        if let escrowCopy { escrow.enqueue(escrowCopy, due: now + limits.effectiveEscrowDelay) }
        waiters.register(id, level: level, size: size, disposition: disposition, token: recipient, now: now)
    }

    /// Counts an answer given at once (the caller is never registered), and returns it.
    mutating func answerNow(_ level: AckLevel, _ acknowledgement: Acknowledgement) -> Acknowledgement {
        counts.countAnswer(level, acknowledgement)
        return acknowledgement
    }

    // MARK: Kafka's verdicts (delivery loop)

    /// Kafka stored a `kafka` record: its caller learns where, and its copy goes.
    mutating func delivered(_ id: UInt64, partition: Int32, offset: Int64) {
        escrow.release(id)
        answer(id) { _ in
            Acknowledgement(disposition: .delivered, reached: .kafka, partition: partition, offset: offset >= 0 ? offset : nil)
        }
    }

    /// If `pending` has a committed escrow copy, makes that its spool record (ready,
    /// or a dead letter), answers its caller, and returns `true`. The caller moves the ledger.
    mutating func keptByEscrowCopy(_ pending: PendingRecord, deadLetterReason: String? = nil) -> Bool {
        guard pending.ack == .kafka, escrow.isCommitted(pending.id) else { return false }
        escrow.settle(pending.id, possiblyPersisted: pending.record.possiblyPersisted, deadLetterReason: deadLetterReason)
        answer(pending.id) { _ in Self.committed(.kafka, deadLetter: deadLetterReason != nil) }
        return true
    }

    /// A `kafka` record without a committed copy went to the hand-off like any live
    /// record: its copy is not needed, and its caller is answered once it is written.
    mutating func spilledWithoutCopy(_ id: UInt64) {
        escrow.release(id)
        waiters.setDisposition(id, .spooled)
    }

    /// `AwaitedRecordKeeper`: a record leaves the hand-off for want of memory.
    mutating func handoffDropped(_ pending: PendingRecord, _ reason: DropReason) -> Bool {
        if keptByEscrowCopy(pending) { return true }
        dropped(pending.id, reason)
        return false
    }

    /// Record `id` is gone: its copy is released and its caller told why.
    mutating func dropped(_ id: UInt64, _ reason: DropReason) {
        escrow.release(id)
        answer(id) { _ in Acknowledgement(disposition: .dropped(reason), reached: nil) }
    }

    // MARK: The spool's verdicts (spool loop)

    /// Records of a committed batch: their callers have reached the spool (a copy would be a second one).
    mutating func written(_ records: [AwaitedRecord], deadLetterReason: String?) {
        for record in records {
            escrow.release(record.id)
            answer(record.id) { waiter in Self.committed(waiter.level, deadLetter: deadLetterReason != nil) }
        }
    }

    /// Records the spool did not keep: those with a committed escrow copy are kept
    /// by it (returned, to count as spooled); the rest are dropped for `reason`.
    mutating func unwritten(_ records: [AwaitedRecord], reason: DropReason, deadLetterReason: String?) -> RecordCount {
        var rescued = RecordCount()
        for record in records {
            if record.level == .kafka, escrow.isCommitted(record.id) {
                escrow.settle(record.id, possiblyPersisted: false, deadLetterReason: deadLetterReason)
                answer(record.id) { _ in Self.committed(.kafka, deadLetter: deadLetterReason != nil) }
                rescued.add(1, bytes: record.size)
            } else {
                dropped(record.id, reason)
            }
        }
        return rescued
    }

    /// Escrow copies for the spool writer, up to `max`, oldest first: those due by `now` (`nil`: all).
    mutating func takeEscrow(max: Int, dueBy now: ContinuousClock.Instant? = nil) -> [PendingRecord] {
        escrow.take(max: max, dueBy: now)
    }

    /// Whether an escrow copy is due by `now`: work for the spool loop.
    mutating func hasEscrowDue(by now: ContinuousClock.Instant) -> Bool {
        escrow.hasCopyDue(by: now)
    }

    /// The spool committed the copies of `written`; `unwritten` found no room.
    mutating func escrowWrote(_ written: [UInt64], unwritten: [UInt64]) {
        escrow.wrote(written)
        escrow.failed(unwritten)
    }

    /// The spool could not write the copies of `ids`: those records are only live.
    mutating func escrowFailed(_ ids: [UInt64]) {
        escrow.failed(ids)
    }

    /// Releases and settlements of committed escrow copies, for the spool loop.
    mutating func takeEscrowBookkeeping() -> EscrowBook.Bookkeeping {
        escrow.takeBookkeeping()
    }

    // MARK: Deadlines and answers

    /// Answers every caller whose deadline has passed with what its record has
    /// reached: `kafka` records with a committed escrow copy are on disk.
    mutating func expire(now: ContinuousClock.Instant) {
        for (id, waiter) in waiters.removeExpired(now: now) {
            let acknowledgement = waiter.level == .kafka && escrow.isCommitted(id)
                ? Acknowledgement(disposition: .spooled, reached: .spool, reason: .timeout)
                : Acknowledgement(memory: waiter.disposition, reason: .timeout)
            deliver(acknowledgement, to: waiter)
        }
    }

    /// Shutdown's last word: any caller left is answered with what is known, so none hangs.
    mutating func answerEveryone(_ context: @autoclosure () -> String) {
        assert(waiters.isEmpty, "\(waiters.pendingCount) callers still wait at shutdown \(context())")
        for (_, waiter) in waiters.removeAll() {
            deliver(Acknowledgement(memory: waiter.disposition, reason: .timeout), to: waiter)
        }
    }

    /// Answers decided since the last call, for the caller to deliver once it has released the lock.
    mutating func takeAnswers() -> [AckAnswer] {
        guard !answers.isEmpty else { return [] }
        defer { answers.removeAll() }
        return answers
    }

    /// The answer for a record committed to the spool, by the level its caller asked.
    private static func committed(_ level: AckLevel, deadLetter: Bool = false) -> Acknowledgement {
        let reason: AckReason? = level == .kafka ? (deadLetter ? .deadLetter : .kafkaUnavailable) : nil
        return Acknowledgement(disposition: .spooled, reached: .spool, reason: reason)
    }

    /// Answers the caller waiting on `id`, if one does.
    private mutating func answer(_ id: UInt64, _ acknowledgement: (AckWaiters<AckRecipient>.Waiter) -> Acknowledgement) {
        guard let waiter = waiters.remove(id) else { return }
        deliver(acknowledgement(waiter), to: waiter)
    }

    private mutating func deliver(_ acknowledgement: Acknowledgement, to waiter: AckWaiters<AckRecipient>.Waiter) {
        counts.countAnswer(waiter.level, acknowledgement)
        answers.append(AckAnswer(recipient: waiter.token, acknowledgement: acknowledgement))
    }

    // MARK: Invariants

    /// The waiting bounds and the escrow queue's. O(1); debug builds only.
    func checkInvariants(_ context: @autoclosure () -> String) {
        assert(
            waiters.pendingCount <= limits.maxPendingRecords && waiters.pendingBytes <= limits.maxPendingBytes,
            "waiting bound exceeded: \(waiters.pendingCount) callers, \(waiters.pendingBytes) bytes \(context())"
        )
        assert(escrow.waitingCount <= limits.maxPendingRecords, "escrow queue bound exceeded: \(escrow.waitingCount) \(context())")
    }
}
