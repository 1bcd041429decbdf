/// The verdicts on one batch of delivery reports, gathered outside the lock
/// and applied to the pipeline state in one step (`PipelineState.settle`).
/// Records to spool are gathered as a hand-off chunk, so they join it in O(1).
/// Records whose callers wait for Kafka (`kafka` level) are kept apart: each is
/// answered, and its escrow copy decides where it goes.
struct Settlement: Sendable {
    var delivered = RecordCount()
    var spill = HandoffQueue.Chunk()
    var deadLetters: [DeadLetter] = []
    /// `kafka` records Kafka acknowledged (they are counted in `delivered` too).
    var kafkaDelivered: [(id: UInt64, partition: Int32, offset: Int64)] = []
    /// `kafka` records that failed or were purged.
    var kafkaSpills: [PendingRecord] = []
    /// `kafka` records Kafka refused for a reason about themselves.
    var kafkaDeadLetters: [DeadLetter] = []
    var replayAcks: [Int64] = []
    var replayDeadLetters: [(id: Int64, reason: String)] = []
    /// Replayed records sent and not taken: read again, and counted as failed attempts.
    var replayFailed: [Int64] = []
    /// Of those, the ones that may already be in Kafka: marked in the spool.
    var replayPossiblyPersisted: [Int64] = []
    /// Live records spilled that may already be in Kafka.
    var livePossiblyPersisted = 0
    /// Replayed records reported on, whatever the verdict.
    var replaySettled = 0
    var lastError: String?

    init(spill: HandoffQueue.Chunk = HandoffQueue.Chunk()) {
        self.spill = spill
    }

    mutating func add(_ verdict: ReportVerdict) {
        switch verdict.move {
        case .delivered(let pending, let partition, let offset):
            addAcknowledged(.live(pending), partition: partition, offset: offset)
        case .spill(let pending):
            if pending.ack == .kafka {
                kafkaSpills.append(pending)
            } else {
                spill.records.append(pending)
                spill.bytes += pending.size
            }
            if pending.record.possiblyPersisted { livePossiblyPersisted += 1 }
        case .deadLetter(let pending, let reason):
            if pending.ack == .kafka {
                kafkaDeadLetters.append(DeadLetter(pending: pending, reason: reason))
            } else {
                deadLetters.append(DeadLetter(pending: pending, reason: reason))
            }
        case .replayAcknowledged(let id):
            addAcknowledged(.replay(id: id), partition: -1, offset: -1)
        case .replayDeadLetter(let id, let reason):
            replayDeadLetters.append((id, reason))
            replaySettled += 1
        case .replayRetry(let id, let possiblyPersisted):
            replayFailed.append(id)
            if possiblyPersisted { replayPossiblyPersisted.append(id) }
            replaySettled += 1
        }
        if case .failure(let reason)? = verdict.outcome { lastError = reason }
    }

    /// A record Kafka acknowledged: a live one is delivered (and its `kafka`
    /// caller answered with where it went), a replayed one is deleted from the
    /// spool. The delivery loop settles acknowledgements, the common case, here
    /// directly, without a verdict.
    mutating func addAcknowledged(_ origin: InFlightRecord.Origin, partition: Int32, offset: Int64) {
        switch origin {
        case .live(let pending):
            delivered.add(1, bytes: pending.size)
            if pending.ack == .kafka { kafkaDelivered.append((pending.id, partition, offset)) }
        case .replay(let id):
            replayAcks.append(id)
            replaySettled += 1
        }
    }

    var isEmpty: Bool {
        delivered.records == 0 && spill.records.isEmpty && deadLetters.isEmpty && replaySettled == 0 && lastError == nil
            && kafkaSpills.isEmpty && kafkaDeadLetters.isEmpty
    }

    /// Whether the spool loop has work from it (records to write, replay or escrow bookkeeping).
    var concernsTheSpool: Bool {
        !spill.records.isEmpty || !deadLetters.isEmpty || replaySettled > 0 || !kafkaSpills.isEmpty || !kafkaDeadLetters.isEmpty
    }
}
