import DequeModule
import SpillwaySpool

/// Everything the hand-over, the dispatcher and the spool writer share, kept
/// under one lock that is never held across I/O. Every method keeps the
/// ledger balanced: a record moves from one term to another, never out of all.
struct PipelineState: Sendable {
    let queueLimits: QueueLimits
    let handoffLimits: QueueLimits

    var phase = PipelinePhase.starting
    var ledger = Ledger()
    var nextID: UInt64 = 1

    /// Records waiting for the dispatcher, oldest first.
    var live = Deque<PendingRecord>()
    /// Records waiting for the spool writer, oldest first.
    var handoff = Deque<PendingRecord>()
    /// Records refused by Kafka for a reason about themselves, waiting for the dead-letter area.
    var deadHandoff = Deque<(PendingRecord, reason: String)>()

    /// Published by the dispatcher: whether the breaker lets live records through.
    var sending = false
    /// Published by the spool writer: the spool holds ready records (for `fifo` ordering).
    var spoolBacklog = false
    var divertWhileBacklog = false
    var spoolAvailable = true
    /// The dispatcher sleeps in librdkafka's poll and wants a wake-up on new work.
    var dispatcherIdle = false

    // Dispatcher ↔ spool writer, for replay.
    var replayWanted = false
    var replayPaused = false
    var replayOutbox = Deque<SpooledRecord>()
    var replayAcks: [Int64] = []
    var replayDeadLetters: [(id: Int64, reason: String)] = []
    /// Re-read the spool from this id once nothing is in flight (a failed or purged replay).
    var replayRewind: Int64?
    var replayConfiguration: ReplayConfiguration

    // Commands for the dispatcher.
    var requestedMode: BreakerMode?
    var probeResult: (succeeded: Bool, detail: String)?

    // Published for status pages.
    var breaker = BreakerSnapshot()
    var lastError: String?
    /// Set while the loaded librdkafka cannot speak to the broker (read by `/readyz`).
    var kafkaIncompatibility: String?
    var spoolTotals = SpoolTotals()
    var replayRate: Double = 0

    init(queueLimits: QueueLimits, handoffLimits: QueueLimits, replay: ReplayConfiguration, divertWhileBacklog: Bool) {
        self.queueLimits = queueLimits
        self.handoffLimits = handoffLimits
        self.replayConfiguration = replay
        self.divertWhileBacklog = divertWhileBacklog
        // Grown once up front, not by doubling while traffic arrives.
        live.reserveCapacity(min(queueLimits.maxRecords, 1 << 16))
        handoff.reserveCapacity(min(handoffLimits.maxRecords, 1 << 16))
    }

    // MARK: Intake

    /// Takes a record in: into the live queue if the breaker is sending and there
    /// is room (queue plus in flight), else to the spool's hand-off.
    mutating func accept(_ record: consuming Record, size: Int) -> Disposition {
        ledger.accepted += 1
        guard phase == .running || phase == .starting else {
            ledger.drop(.shuttingDown)
            return .dropped(.shuttingDown)
        }
        let pending = PendingRecord(id: nextID, record: record, size: size)
        nextID &+= 1
        if sending, !(divertWhileBacklog && spoolBacklog),
           ledger.liveQueued + ledger.inFlight < queueLimits.maxRecords,
           ledger.liveQueuedBytes + ledger.inFlightBytes + size <= queueLimits.maxBytes {
            live.append(consume pending)
            ledger.liveQueued += 1
            ledger.liveQueuedBytes += size
            ledger.queued += 1
            return .queued
        }
        guard spoolAvailable else {
            ledger.drop(.spoolUnavailable)
            return .dropped(.spoolUnavailable)
        }
        ledger.queued += 1
        pushHandoff(consume pending)
        return .spooled
    }

    /// Appends to the spool's hand-off (already counted in `queued`), dropping the
    /// oldest records in it when it is over its bound: the caller never waits for the disk.
    ///
    /// The hand-off may also use what the live queue and librdkafka leave unused of
    /// their own bound, so memory as a whole stays within the two bounds together. When
    /// the breaker opens, a full queue and librdkafka's purge move into the hand-off all
    /// at once; with the hand-off's own bound alone, they pushed out records just accepted.
    private mutating func pushHandoff(_ pending: consuming PendingRecord) {
        let size = pending.size
        handoff.append(pending)
        ledger.handoffQueued += 1
        ledger.handoffBytes += size
        let spareRecords = max(0, queueLimits.maxRecords - ledger.liveQueued - ledger.inFlight)
        let spareBytes = max(0, queueLimits.maxBytes - ledger.liveQueuedBytes - ledger.inFlightBytes)
        while ledger.handoffQueued > handoffLimits.maxRecords + spareRecords || ledger.handoffBytes > handoffLimits.maxBytes + spareBytes,
              let oldest = handoff.popFirst() {
            ledger.handoffQueued -= 1
            ledger.handoffBytes -= oldest.size
            ledger.queued -= 1
            ledger.drop(.memoryFull)
        }
    }

    // MARK: Dispatcher

    /// Moves up to `count` live records into flight.
    mutating func takeLive(_ count: Int) -> [PendingRecord] {
        let taken = min(count, live.count)
        guard taken > 0 else { return [] }
        var batch: [PendingRecord] = []
        batch.reserveCapacity(taken)
        for _ in 0..<taken {
            let pending = live.removeFirst()
            batch.append(pending)
            ledger.liveQueuedBytes -= pending.size
            ledger.inFlightBytes += pending.size
        }
        ledger.liveQueued -= taken
        ledger.queued -= taken
        ledger.inFlight += taken
        return batch
    }

    /// Puts records that librdkafka would not take (queue full) back at the front, in order.
    mutating func returnToLive(_ records: ArraySlice<PendingRecord>) {
        for pending in records.reversed() {
            live.prepend(pending)
            ledger.liveQueuedBytes += pending.size
            ledger.inFlightBytes -= pending.size
        }
        ledger.liveQueued += records.count
        ledger.queued += records.count
        ledger.inFlight -= records.count
    }

    /// Live records Kafka acknowledged: `count` of them, `bytes` in all.
    mutating func delivered(count: Int, bytes: Int) {
        ledger.inFlight -= count
        ledger.inFlightBytes -= bytes
        ledger.delivered += count
    }

    /// An in-flight record failed or was purged: it goes to the spool.
    mutating func spillFromFlight(_ pending: PendingRecord) {
        ledger.inFlight -= 1
        ledger.inFlightBytes -= pending.size
        ledger.queued += 1
        if spoolAvailable {
            pushHandoff(pending)
        } else {
            ledger.queued -= 1
            ledger.drop(.spoolUnavailable)
        }
    }

    /// An in-flight record Kafka refused for a reason about itself: it goes to the dead-letter area.
    mutating func deadLetterFromFlight(_ pending: PendingRecord, reason: String) {
        ledger.inFlight -= 1
        ledger.inFlightBytes -= pending.size
        guard spoolAvailable else {
            ledger.drop(.spoolUnavailable)
            return
        }
        ledger.queued += 1
        ledger.handoffQueued += 1
        ledger.handoffBytes += pending.size
        deadHandoff.append((pending, reason))
    }

    /// The breaker stopped sending: everything queued for Kafka goes to the spool instead.
    mutating func spillLiveQueue() {
        while let pending = live.popFirst() {
            ledger.liveQueued -= 1
            ledger.liveQueuedBytes -= pending.size
            if spoolAvailable {
                pushHandoff(pending)
            } else {
                ledger.queued -= 1
                ledger.drop(.spoolUnavailable)
            }
        }
    }

    // MARK: Spool writer

    /// Takes a batch for the spool: dead letters first, then ready records.
    mutating func takeHandoff(max: Int) -> (ready: [PendingRecord], dead: [(PendingRecord, reason: String)]) {
        var dead: [(PendingRecord, reason: String)] = []
        while dead.count < max, let item = deadHandoff.popFirst() { dead.append(item) }
        var ready: [PendingRecord] = []
        while ready.count + dead.count < max, let item = handoff.popFirst() { ready.append(item) }
        // Still counted in `queued` and the hand-off figures until the spool answers.
        return (ready, dead)
    }

    /// The spool answered for a batch taken with `takeHandoff`.
    mutating func spoolWrote(_ count: Int, bytes: Int, evicted: Int, failure: DropReason? = nil, totals: SpoolTotals) {
        ledger.handoffQueued -= count
        ledger.handoffBytes -= bytes
        ledger.queued -= count
        if let failure {
            ledger.drop(failure, count)
        } else {
            ledger.spilled += count - min(evicted, count)
            ledger.drop(.spoolEvicted, evicted)
        }
        ledger.spooled = totals.count
        spoolTotals = totals
        spoolBacklog = totals.readyCount > 0
    }

    mutating func spoolDeadLettered(_ count: Int) {
        ledger.deadLettered += count
    }

    /// Replayed records Kafka acknowledged were deleted from the spool.
    mutating func spoolDeleted(_ count: Int, totals: SpoolTotals) {
        ledger.delivered += count
        ledger.replayed += count
        ledger.spooled = totals.count
        spoolTotals = totals
        spoolBacklog = totals.readyCount > 0
    }
}
