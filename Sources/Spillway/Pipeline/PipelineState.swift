import DequeModule
import SpillwaySpool

/// Everything the hand-over, the delivery loop and the spool loop share, kept
/// under one lock that is never held across I/O and never for work that grows
/// with the queue.
///
/// This type owns the rules of the record's path. Its fields can only change
/// through the named transitions below; each moves records between the places
/// it keeps (live queue, hand-off) or that its callers keep (in flight, the
/// spool) together with the matching `Ledger` move, so the conservation equation
/// holds after every transition. Debug builds check it, and the bounds, after each one.
struct PipelineState: Sendable {
    let queueLimits: QueueLimits
    let handoffLimits: QueueLimits
    /// `fifo` ordering: while the spool holds a backlog, new records queue behind it.
    let divertWhileBacklog: Bool

    private(set) var lifecycle = PipelineLifecycle()
    private(set) var ledger = Ledger()
    private var nextID: UInt64 = 1

    /// Records waiting for the delivery loop, oldest first.
    private(set) var live = Deque<PendingRecord>()
    /// Records waiting for the spool writer.
    private(set) var handoff: HandoffQueue
    /// Records Kafka refused for a reason about themselves, waiting for the dead-letter area.
    private(set) var deadHandoff = Deque<DeadLetter>()
    /// Taken by the spool writer and not answered yet; still counted in the hand-off.
    private(set) var writing = RecordCount()

    /// The breaker lets live records through. It starts closed: records taken in
    /// before the delivery loop runs wait in the live queue, not in the spool.
    private(set) var sending = true
    /// The spool holds ready records (for `fifo` ordering).
    private(set) var spoolBacklog = false
    /// Records may go to the spool: it is open, or its first opening is under way
    /// (the hand-off waits for it). False once an opening failed, until one works.
    private(set) var spoolAvailable = true
    /// The spool has been opened: only then is the pipeline ready.
    private(set) var spoolOpen = false
    private(set) var spoolTotals = SpoolTotals()
    /// The delivery loop sleeps in librdkafka's poll and wants a wake-up for new work.
    private(set) var deliveryLoopIdle = false

    private(set) var replay: ReplayState
    /// Operator commands and probe results, for the delivery loop.
    private(set) var commands = DeliveryLoopCommands()

    /// Published for status pages.
    private(set) var breaker = BreakerSnapshot()
    private(set) var lastError: String?
    /// Set while the loaded librdkafka cannot speak to the broker at all (read by `/readyz`).
    private(set) var kafkaIncompatibility: String?

    init(queueLimits: QueueLimits, handoffLimits: QueueLimits, replay: ReplayConfiguration, divertWhileBacklog: Bool, spoolBatchSize: Int = 1000) {
        self.queueLimits = queueLimits
        self.handoffLimits = handoffLimits
        self.divertWhileBacklog = divertWhileBacklog
        self.replay = ReplayState(configuration: replay)
        self.replay.setBreakerAllows(true)
        handoff = HandoffQueue(chunkSize: spoolBatchSize)
        live = Self.emptyLiveQueue(queueLimits)
    }

    /// Room for the whole bound up front (address space; pages are touched as it
    /// fills), so an append under the lock never copies the queue to grow it.
    private static func emptyLiveQueue(_ limits: QueueLimits) -> Deque<PendingRecord> {
        Deque(minimumCapacity: min(limits.maxRecords, 1 << 20))
    }

    // MARK: Life cycle

    mutating func start() -> PipelineLifecycle.StartAction {
        lifecycle.start()
    }

    /// Intake closes; the delivery loop drains next.
    mutating func shutdown() -> PipelineLifecycle.ShutdownAction {
        lifecycle.shutdown()
    }

    // MARK: Intake

    /// Takes a record in: into the live queue if the breaker is sending and there
    /// is room (queue plus in flight), else to the spool's hand-off.
    mutating func accept(_ record: consuming Record, size: Int) -> Disposition {
        defer { checkInvariants() }
        guard lifecycle.acceptsRecords else {
            ledger.acceptDropped(.shuttingDown)
            return .dropped(.shuttingDown)
        }
        let pending = PendingRecord(id: nextID, record: record, size: size)
        nextID &+= 1
        if sending, !(divertWhileBacklog && spoolBacklog),
           ledger.liveQueued + ledger.inFlight < queueLimits.maxRecords,
           ledger.liveQueuedBytes + ledger.inFlightBytes + size <= queueLimits.maxBytes {
            // The hand-off may have borrowed the queue's room: take it back from its oldest records.
            guard makeRoom(records: 1, bytes: size) else {
                ledger.acceptDropped(.memoryFull)
                return .dropped(.memoryFull)
            }
            live.append(consume pending)
            ledger.acceptIntoLive(bytes: size)
            return .queued
        }
        guard spoolAvailable else {
            ledger.acceptDropped(.spoolUnavailable)
            return .dropped(.spoolUnavailable)
        }
        ledger.acceptIntoHandoff(bytes: size)
        let id = pending.id
        handoff.append(consume pending)
        _ = makeRoom(records: 0, bytes: 0)
        // The record itself went if it alone is more than all the room there is.
        return handoff.contains(newest: id) ? .spooled : .dropped(.memoryFull)
    }

    /// Counts a refusal at intake (never accepted).
    mutating func reject(_ code: String, count: Int = 1) {
        guard count > 0 else { return }
        ledger.reject(code, count: count)
    }

    /// Whether whoever just queued records must wake the delivery loop; claims the wake-up.
    mutating func claimWakeUp() -> Bool {
        guard deliveryLoopIdle, !live.isEmpty else { return false }
        deliveryLoopIdle = false
        return true
    }

    /// Drops the oldest records waiting for the spool until memory as a whole (live
    /// queue, in flight, hand-off) has room for `records` more records of `bytes`,
    /// within the two bounds together; returns whether it has. The caller never
    /// waits for the disk: when the disk is slower than intake, the oldest go.
    ///
    /// The hand-off may use what the live queue and librdkafka leave unused of their
    /// own bound: when the breaker opens, a full queue and librdkafka's purge move
    /// into the hand-off at once, and must not push out records just accepted. The
    /// queue takes that room back as it fills again.
    private mutating func makeRoom(records: Int, bytes: Int) -> Bool {
        func fits() -> Bool {
            ledger.queued + ledger.inFlight + records <= queueLimits.maxRecords + handoffLimits.maxRecords
                && ledger.liveQueuedBytes + ledger.inFlightBytes + ledger.handoffBytes + bytes <= queueLimits.maxBytes + handoffLimits.maxBytes
        }
        while !fits(), let oldest = handoff.popFirst() {
            ledger.handoffDropped(1, bytes: oldest.size, .memoryFull)
        }
        return fits()
    }

    // MARK: Delivery loop

    /// Moves up to `count` live records into flight.
    mutating func takeLive(_ count: Int) -> [PendingRecord] {
        defer { checkInvariants() }
        let taken = min(count, live.count)
        guard taken > 0 else { return [] }
        var batch: [PendingRecord] = []
        batch.reserveCapacity(taken)
        var bytes = 0
        for _ in 0..<taken {
            let pending = live.removeFirst()
            bytes += pending.size
            batch.append(pending)
        }
        ledger.liveToFlight(taken, bytes: bytes)
        return batch
    }

    /// Puts records librdkafka would not take (its queue is full) back at the front, in order.
    mutating func returnToLive(_ records: ArraySlice<PendingRecord>) {
        defer { checkInvariants() }
        var bytes = 0
        for pending in records.reversed() {
            live.prepend(pending)
            bytes += pending.size
        }
        ledger.flightToLive(records.count, bytes: bytes)
    }

    /// What delivery reports (or librdkafka's refusals) said, in one step.
    mutating func settle(_ settlement: Settlement) {
        defer { checkInvariants() }
        ledger.flightDelivered(settlement.delivered.records, bytes: settlement.delivered.bytes)
        let spill = settlement.spill
        if spoolAvailable {
            ledger.flightToHandoff(spill.records.count, bytes: spill.bytes)
            handoff.append(spill)
        } else {
            ledger.flightDropped(spill.records.count, bytes: spill.bytes, .spoolUnavailable)
        }
        for deadLetter in settlement.deadLetters {
            if spoolAvailable {
                ledger.flightToHandoff(1, bytes: deadLetter.pending.size)
                deadHandoff.append(deadLetter)
            } else {
                ledger.flightDropped(1, bytes: deadLetter.pending.size, .spoolUnavailable)
            }
        }
        ledger.replayInFlight -= settlement.replaySettled
        ledger.countPossiblyPersisted(settlement.livePossiblyPersisted)
        replay.settle(acks: settlement.replayAcks, deadLetters: settlement.replayDeadLetters, failed: settlement.replayFailed, possiblyPersisted: settlement.replayPossiblyPersisted)
        if let error = settlement.lastError { lastError = kafkaIncompatibility ?? error }
    }

    /// Replayed records for the delivery loop, only while no live record waits (live traffic first).
    mutating func takeReplay(max: Int) -> [SpooledRecord] {
        guard live.isEmpty else { return [] }
        return replay.take(max: max)
    }

    /// How a batch taken with `takeReplay` went: `sent` handed to librdkafka,
    /// refused ones to the dead-letter area, and from `unsentFrom` on nothing sent.
    mutating func replaySent(_ sent: Int, deadLetters: [(id: Int64, reason: String)], unsentFrom: Int64?) {
        ledger.replayInFlight += sent
        replay.settle(acks: [], deadLetters: deadLetters, failed: [], possiblyPersisted: [])
        if let unsentFrom { replay.unsent(from: unsentFrom) }
    }

    /// The breaker changed what it lets through. When live records stop, the live
    /// queue moves to the hand-off whole, in O(1).
    mutating func setBreakerGates(sending: Bool, replay replayAllowed: Bool) {
        defer { checkInvariants() }
        self.sending = sending
        replay.setBreakerAllows(replayAllowed)
        if !sending { spillLiveQueue() }
    }

    /// The delivery loop is about to sleep: it must be woken if records arrive.
    /// Returns whether there is nothing to send.
    mutating func markIdleIfNothingToSend() -> Bool {
        let idle = live.isEmpty && (replay.outbox.isEmpty || !replay.wanted)
        deliveryLoopIdle = idle
        return idle
    }

    /// What the delivery loop acts on this round: commands (taken), and what it
    /// needs to know of the rest of the pipeline.
    mutating func startDeliveryRound() -> DeliveryRound {
        defer { commands = DeliveryLoopCommands() }
        return DeliveryRound(
            commands: commands,
            running: lifecycle.deliveryLoopRuns,
            backlog: spoolBacklog,
            replayPaused: replay.paused,
            replayConfiguration: replay.configuration
        )
    }

    mutating func publishBreaker(_ snapshot: BreakerSnapshot) {
        breaker = snapshot
    }

    /// The loaded librdkafka cannot speak to the broker (an explanation), or can again (`nil`).
    mutating func setKafkaIncompatibility(_ explanation: String?) {
        kafkaIncompatibility = explanation
        if let explanation { lastError = explanation }
    }

    /// Shutdown: nothing more goes to Kafka; queued records go to the spool.
    mutating func beginDrain() {
        setBreakerGates(sending: false, replay: false)
    }

    /// The delivery loop is done. Live records librdkafka never reported on (past
    /// the shutdown deadline and the purge) go to the spool.
    mutating func deliveryLoopFinished(unreported: HandoffQueue.Chunk) {
        defer { checkInvariants() }
        beginDrain()
        settle(Settlement(spill: unreported))
        ledger.replayInFlight = 0
        lifecycle.deliveryLoopFinished()
    }

    private mutating func spillLiveQueue() {
        guard !live.isEmpty else { return }
        let count = ledger.liveQueued
        let bytes = ledger.liveQueuedBytes
        var moved = Self.emptyLiveQueue(queueLimits)
        swap(&moved, &live)
        if spoolAvailable {
            ledger.liveToHandoff(count, bytes: bytes)
            handoff.append(HandoffQueue.Chunk(records: moved, bytes: bytes))
        } else {
            ledger.liveDropped(count, bytes: bytes, .spoolUnavailable)
        }
    }

    // MARK: Operator

    mutating func requestBreakerMode(_ mode: BreakerMode) {
        commands.mode = mode
    }

    mutating func probeFinished(succeeded: Bool, detail: String) {
        commands.probe = (succeeded, detail)
    }

    mutating func pauseReplay() {
        replay.pause()
    }

    mutating func resumeReplay() {
        replay.resume()
    }

    mutating func setReplayConfiguration(_ configuration: ReplayConfiguration) {
        replay.setConfiguration(configuration)
    }

    // MARK: Spool loop

    /// Work for the spool writer: every waiting dead letter, and the oldest chunk
    /// of the hand-off, taken in O(1). They stay counted in the hand-off until the
    /// spool answers for them with `spoolWrote`/`spoolFailed`.
    mutating func takeHandoff() -> (ready: HandoffQueue.Chunk?, dead: [DeadLetter]) {
        defer { checkInvariants() }
        let dead = Array(deadHandoff)
        deadHandoff.removeAll()
        let ready = handoff.popFirstChunk()
        writing.add(dead.count + (ready?.records.count ?? 0), bytes: dead.reduce(0) { $0 + $1.pending.size } + (ready?.bytes ?? 0))
        return (ready, dead)
    }

    /// The spool committed `count` records taken with `takeHandoff`, evicting `evicted` to make room.
    mutating func spoolWrote(_ count: Int, bytes: Int, evicted: Int, deadLettered: Int = 0, totals: SpoolTotals) {
        defer { checkInvariants() }
        writing.remove(count, bytes: bytes)
        ledger.handoffSpooled(count, bytes: bytes, evicted: evicted)
        ledger.countDeadLettered(deadLettered)
        publishSpoolTotals(totals)
    }

    /// The spool could not keep `count` records taken with `takeHandoff`.
    mutating func spoolFailed(_ count: Int, bytes: Int, reason: DropReason, error: String?) {
        defer { checkInvariants() }
        writing.remove(count, bytes: bytes)
        ledger.handoffDropped(count, bytes: bytes, reason)
        if let error { lastError = error }
    }

    /// The spool opened; what it holds is recovered from an earlier run (nothing
    /// was spooled while there was no spool).
    mutating func spoolOpened(totals: SpoolTotals, note: String?, clearsError: Bool) {
        defer { checkInvariants() }
        ledger.recover(totals.count)
        publishSpoolTotals(totals)
        spoolAvailable = true
        spoolOpen = true
        if let note {
            lastError = note
        } else if clearsError {
            lastError = nil
        }
    }

    /// The spool cannot be opened: records that cannot go to Kafka are dropped until it can.
    mutating func spoolUnavailable(_ error: String) {
        spoolAvailable = false
        spoolOpen = false
        lastError = error
    }

    /// Kafka's verdicts on replayed records, for the spool loop.
    mutating func takeReplayBookkeeping() -> ReplayState.Bookkeeping {
        replay.takeBookkeeping()
    }

    /// Acknowledged replayed records were deleted from the spool.
    mutating func spoolDeleted(_ count: Int, totals: SpoolTotals) {
        defer { checkInvariants() }
        ledger.spoolDelivered(count)
        publishSpoolTotals(totals)
    }

    /// Replayed records were marked possibly persisted in the spool; `count` were not marked before.
    mutating func spoolMarkedPossiblyPersisted(_ count: Int) {
        ledger.countPossiblyPersisted(count)
    }

    /// Replayed records Kafka refused were moved to the spool's dead-letter area.
    mutating func spoolMovedToDeadLetters(_ count: Int, totals: SpoolTotals) {
        ledger.countDeadLettered(count)
        publishSpoolTotals(totals)
    }

    /// Where replay reading starts again, once nothing of it is in flight.
    mutating func takeReplayRewind() -> Int64? {
        replay.takeRewind(replayInFlight: ledger.replayInFlight)
    }

    /// Past the newest record with some left behind the cursor (a delete that
    /// failed, say): whether reading may start again from the oldest.
    var mayReadReplayFromOldest: Bool {
        replay.mayReadFromOldest(replayInFlight: ledger.replayInFlight)
    }

    mutating func offerReplay(_ records: [SpooledRecord]) {
        replay.offer(records)
    }

    /// The replay controller's decision, for the replay reader and status pages.
    mutating func publishReplayControl(rate: Double, phase: ReplayPhase) {
        replay.setControl(rate: rate, phase: phase)
    }

    /// Whether the spool loop has written out everything and may close the spool.
    var spoolLoopMayFinish: Bool {
        lifecycle.spoolLoopMayFinish && live.isEmpty && handoff.isEmpty && deadHandoff.isEmpty && writing.records == 0 && !replay.hasBookkeeping
    }

    mutating func spoolLoopFinished() {
        lifecycle.spoolLoopFinished()
    }

    private mutating func publishSpoolTotals(_ totals: SpoolTotals) {
        spoolTotals = totals
        spoolBacklog = totals.readyCount > 0
    }

    // MARK: Invariants

    /// Names what was running when an invariant broke (a model test's seed), in the assertion's message.
    @TaskLocal static var debugContext = ""

    /// The conservation equation, the places agreeing with the ledger, and the
    /// memory bounds. O(1); debug builds only.
    private func checkInvariants() {
        assert(ledger.imbalance == 0, "ledger out of balance: \(ledger) \(Self.debugContext)")
        assert(ledger.liveQueued == live.count, "live queue \(live.count) != ledger \(ledger.liveQueued) \(Self.debugContext)")
        assert(
            ledger.handoffQueued == handoff.count + deadHandoff.count + writing.records,
            "hand-off \(handoff.count)+\(deadHandoff.count)+\(writing.records) != ledger \(ledger.handoffQueued) \(Self.debugContext)"
        )
        assert(ledger.queued == ledger.liveQueued + ledger.handoffQueued, "queued is not live + hand-off: \(ledger) \(Self.debugContext)")
        assert(ledger.liveQueued + ledger.inFlight <= queueLimits.maxRecords, "live bound exceeded: \(ledger) \(Self.debugContext)")
        assert(
            ledger.queued + ledger.inFlight <= queueLimits.maxRecords + handoffLimits.maxRecords,
            "memory bound exceeded: \(ledger) \(Self.debugContext)"
        )
        assert(
            ledger.liveQueuedBytes + ledger.inFlightBytes + ledger.handoffBytes <= queueLimits.maxBytes + handoffLimits.maxBytes,
            "memory bytes bound exceeded: \(ledger) \(Self.debugContext)"
        )
    }
}

/// A live record Kafka refused for a reason about itself, on its way to the dead-letter area.
struct DeadLetter: Sendable {
    var pending: PendingRecord
    var reason: String
}

/// Records and their payload bytes.
struct RecordCount: Sendable, Hashable {
    private(set) var records = 0
    private(set) var bytes = 0

    mutating func add(_ records: Int, bytes: Int) {
        self.records += records
        self.bytes += bytes
    }

    mutating func remove(_ records: Int, bytes: Int) {
        self.records -= records
        self.bytes -= bytes
    }
}

/// What the delivery loop should act on: an operator's mode change, a probe's result.
struct DeliveryLoopCommands: Sendable {
    var mode: BreakerMode?
    var probe: (succeeded: Bool, detail: String)?
}

/// What the delivery loop reads of the shared state at the start of a round.
struct DeliveryRound: Sendable {
    var commands: DeliveryLoopCommands
    /// Shutdown has not begun.
    var running: Bool
    /// The spool holds records ready to replay.
    var backlog: Bool
    var replayPaused: Bool
    var replayConfiguration: ReplayConfiguration
}
