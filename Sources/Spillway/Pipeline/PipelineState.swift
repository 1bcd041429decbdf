import DequeModule
import SpillwaySpool

/// Everything the hand-over, the delivery loop and the spool loop share, kept
/// under one lock that is never held across I/O and never for work that grows
/// with the queue.
///
/// It coordinates parts that each keep one concern and its invariants:
/// `RecordQueues` (where records wait in memory, the routing rule, the memory
/// bounds, the `Ledger`), `AckBook` (callers of `send(…, ack:)`, escrow copies,
/// answers), `WakeUps` (which loop sleeps), `StatusCache` (what status pages
/// read), `ReplayState` (what the two loops share about replay), the life cycle,
/// and the delivery loop's commands. Its fields change only through the named
/// transitions below, grouped by the thread that makes them (intake, the
/// delivery loop, the spool loop, replay, operators); a transition that spans
/// parts is written here, each part's own rule in the part. Each keeps the
/// conservation equation; debug builds check it, and the bounds, after every
/// transition. Threads reach it only through their views (`IntakeView`,
/// `DeliveryLoopView`, `SpoolLoopView`, `ControlView`, `StatusView`).
struct PipelineState: Sendable {
    private(set) var lifecycle = PipelineLifecycle()
    private(set) var queues: RecordQueues
    private(set) var book: AckBook
    private(set) var wakeUps = WakeUps()
    private(set) var statusCache = StatusCache()
    private(set) var replay: ReplayState
    /// Operator commands and probe results, for the delivery loop.
    private var commands = DeliveryLoopCommands()

    init(
        queueLimits: QueueLimits,
        handoffLimits: QueueLimits,
        replay: ReplayConfiguration,
        divertWhileBacklog: Bool,
        spoolBatchSize: Int = 1000,
        ack: AckConfiguration = AckConfiguration()
    ) {
        queues = RecordQueues(queueLimits: queueLimits, handoffLimits: handoffLimits, divertWhileBacklog: divertWhileBacklog, spoolBatchSize: spoolBatchSize)
        book = AckBook(limits: ack)
        self.replay = ReplayState(configuration: replay)
        self.replay.setBreakerAllows(true)
    }

    /// Every ledger term, as the queues keep it.
    var ledger: Ledger { queues.ledger }

    // MARK: Life cycle

    mutating func start() -> PipelineLifecycle.StartAction {
        lifecycle.start()
    }

    /// Intake closes; the delivery loop drains next.
    mutating func shutdown() -> PipelineLifecycle.ShutdownAction {
        lifecycle.shutdown()
    }

    // MARK: Intake

    /// What `accept` decided, and whom the caller must wake.
    struct Acceptance: Sendable {
        /// Where the record went: `send`'s answer at level `memory`.
        var disposition: Disposition
        var wakeDelivery = false
    }

    /// What `accept(_:size:awaiting:)` decided, and whom the caller must wake.
    struct AwaitedAcceptance: Sendable {
        /// The caller's answer when known at once; `nil` once it is registered.
        var answer: Acknowledgement?
        var wakeDelivery = false
        var wakeSpool = false
    }

    /// Takes a record in at level `memory`: the hand-over of every `send`. Where
    /// it goes is `RecordQueues.accept`'s rule, the one routing rule of every level.
    mutating func accept(_ record: consuming Record, size: Int) -> Acceptance {
        defer { checkInvariants() }
        return admit(record, size: size, level: .memory)
    }

    /// Takes in a record whose caller waits (`request`, at `spool` or `kafka`): the
    /// same hand-over as at `memory` (`admit`), and the caller registered in the
    /// `AckBook`, or answered at once.
    ///
    /// - `spool`: to the hand-off, whatever the breaker does; answered once committed.
    /// - `kafka`: live when a `memory` record would be, with an escrow copy queued for
    ///   the spool; answered on Kafka's acknowledgement, its failure, or the deadline.
    ///   When it cannot go live, it goes to the hand-off, as at `spool`.
    ///
    /// Past the waiting bounds (or the escrow queue's), the record is taken in as at
    /// `memory` and answered at once with reason `ack_capacity`.
    mutating func accept(_ record: consuming Record, size: Int, awaiting request: AckRequest) -> AwaitedAcceptance {
        defer { checkInvariants() }
        assert(request.level != .memory, "at level memory nobody waits: no request")
        book.countAccepted(request.level)
        let waits = book.hasRoom(for: request.level, size: size)
        let admitted = admit(record, size: size, level: waits ? request.level : .memory)
        let id = queues.newestID
        switch (waits, admitted.disposition) {
        case (true, .queued):
            // No spool to write a copy to: the record goes live without one.
            let copy = queues.spoolAvailable ? queues.newestLive : nil
            book.register(id, level: request.level, size: size, disposition: .queued, recipient: request.recipient, now: request.now, escrowCopy: copy)
            // A copy due later is found by the spool loop's own rounds (every 10 ms at most).
            let copyDueNow = copy != nil && book.limits.effectiveEscrowDelay == .zero
            return AwaitedAcceptance(wakeDelivery: admitted.wakeDelivery, wakeSpool: copyDueNow && wakeUps.claimSpoolWake())
        case (true, .spooled):
            book.register(id, level: request.level, size: size, disposition: .spooled, recipient: request.recipient, now: request.now)
            return AwaitedAcceptance(wakeSpool: wakeUps.claimSpoolWake())
        case (_, .dropped(.shuttingDown)), (true, _):
            return answeredAtOnce(admitted, request.level)
        case (false, _):
            return answeredAtOnce(admitted, request.level, reason: .capacity)
        }
    }

    /// The hand-over itself, at the level the record is taken at: closed intake
    /// drops it (counted), else `RecordQueues.accept` places it; a live record
    /// claims the delivery loop's wake-up.
    @inline(__always)
    private mutating func admit(_ record: consuming Record, size: Int, level: AckLevel) -> Acceptance {
        guard lifecycle.acceptsRecords else {
            queues.acceptDropped(.shuttingDown)
            return Acceptance(disposition: .dropped(.shuttingDown))
        }
        let disposition = queues.accept(record, size: size, ack: level, keeper: &book)
        return Acceptance(disposition: disposition, wakeDelivery: disposition == .queued && wakeUps.claimDeliveryWake())
    }

    /// The record's fate is known at once: its caller is answered with it (counted).
    private mutating func answeredAtOnce(_ admitted: Acceptance, _ level: AckLevel, reason: AckReason? = nil) -> AwaitedAcceptance {
        let answer = book.answerNow(level, Acknowledgement(memory: admitted.disposition, reason: reason))
        return AwaitedAcceptance(answer: answer, wakeDelivery: admitted.wakeDelivery)
    }

    /// Counts a refusal at intake (never accepted); a caller that waits at `level` is answered at once.
    mutating func reject(_ code: String, count: Int = 1, awaiting level: AckLevel? = nil, rejection: Rejection? = nil) {
        queues.reject(code, count: count)
        if let level, let rejection { _ = book.answerNow(level, Acknowledgement(disposition: .rejected(rejection), reached: nil)) }
    }

    // MARK: Delivery loop

    /// What the delivery loop acts on this round: commands (taken), and what it
    /// needs to know of the rest of the pipeline. Callers past their deadline are
    /// answered from here too, so a stuck disk never holds them up.
    mutating func startDeliveryRound(now: ContinuousClock.Instant) -> DeliveryRound {
        book.expire(now: now)
        defer { commands = DeliveryLoopCommands() }
        return DeliveryRound(
            commands: commands,
            running: lifecycle.deliveryLoopRuns,
            backlog: queues.spoolBacklog,
            replayPaused: replay.paused,
            replayConfiguration: replay.configuration
        )
    }

    /// Moves up to `count` live records into flight.
    mutating func takeLive(_ count: Int) -> [PendingRecord] {
        defer { checkInvariants() }
        return queues.takeLive(count)
    }

    /// An outgrown live queue's empty storage, for the delivery loop to free after the lock.
    mutating func takeRetiredLiveQueue() -> Deque<PendingRecord>? {
        queues.takeRetiredLiveQueue()
    }

    /// Puts records librdkafka would not take (its queue is full) back at the front, in order.
    mutating func returnToLive(_ records: ArraySlice<PendingRecord>) {
        defer { checkInvariants() }
        queues.returnToLive(records)
    }

    /// What delivery reports (or librdkafka's refusals) said, in one step.
    mutating func settle(_ settlement: Settlement) {
        defer { checkInvariants() }
        queues.flightDelivered(settlement.delivered)
        queues.flightToHandoff(settlement.spill)
        for deadLetter in settlement.deadLetters { queues.flightToHandoff(deadLetter.pending, deadLetterReason: deadLetter.reason) }
        for delivered in settlement.kafkaDelivered { book.delivered(delivered.id, partition: delivered.partition, offset: delivered.offset) }
        for pending in settlement.kafkaSpills { settleFailedKafkaRecord(pending, deadLetterReason: nil) }
        for deadLetter in settlement.kafkaDeadLetters { settleFailedKafkaRecord(deadLetter.pending, deadLetterReason: deadLetter.reason) }
        queues.replayInFlight(adding: -settlement.replaySettled)
        queues.countPossiblyPersisted(settlement.livePossiblyPersisted)
        replay.settle(acks: settlement.replayAcks, deadLetters: settlement.replayDeadLetters, failed: settlement.replayFailed, possiblyPersisted: settlement.replayPossiblyPersisted)
        statusCache.noteKafkaError(settlement.lastError)
    }

    /// A `kafka` record Kafka did not take (a failure, a purge, or a refusal about the
    /// record itself): its committed escrow copy becomes its spool record, with no
    /// second copy written, and its caller is answered now; without one, it goes to
    /// the hand-off like any live record and is answered once written.
    private mutating func settleFailedKafkaRecord(_ pending: PendingRecord, deadLetterReason: String?) {
        if book.keptByEscrowCopy(pending, deadLetterReason: deadLetterReason) {
            queues.flightToSpooled(bytes: pending.size, deadLettered: deadLetterReason != nil)
        } else if queues.flightToHandoff(pending, deadLetterReason: deadLetterReason) {
            book.spilledWithoutCopy(pending.id)
        } else {
            book.dropped(pending.id, .spoolUnavailable)
        }
    }

    /// The breaker changed what it lets through. When live records stop, the live
    /// queue moves to the hand-off whole, in O(1); `kafka` callers in it are answered
    /// once the spill writer has written their records (their copies released then).
    mutating func setBreakerGates(sending: Bool, replay replayAllowed: Bool) {
        defer { checkInvariants() }
        queues.setSending(sending)
        replay.setBreakerAllows(replayAllowed)
    }

    /// The delivery loop is about to sleep: it must be woken if records arrive.
    /// Returns whether there is nothing to send.
    mutating func markIdleIfNothingToSend() -> Bool {
        let idle = queues.live.isEmpty && (replay.outbox.isEmpty || !replay.wanted)
        wakeUps.deliveryLoop(idle: idle)
        return idle
    }

    mutating func publishBreaker(_ snapshot: BreakerSnapshot) {
        statusCache.publishBreaker(snapshot)
    }

    /// The loaded librdkafka cannot speak to the broker (an explanation), or can again (`nil`).
    mutating func setKafkaIncompatibility(_ explanation: String?) {
        statusCache.setKafkaIncompatibility(explanation)
    }

    /// Shutdown: nothing more goes to Kafka; queued records go to the spool.
    mutating func beginDrain() {
        setBreakerGates(sending: false, replay: false)
    }

    /// The delivery loop is done. Live records librdkafka never reported on (past
    /// the shutdown deadline and the purge) go to the spool.
    mutating func deliveryLoopFinished(unreported: Settlement) {
        defer { checkInvariants() }
        beginDrain()
        settle(unreported)
        queues.replayInFlightCleared()
        lifecycle.deliveryLoopFinished()
    }

    // MARK: Spool loop

    /// The spool opened; what it holds is recovered from an earlier run (nothing
    /// was spooled while there was no spool).
    mutating func spoolOpened(totals: SpoolTotals, note: String?, clearsError: Bool) {
        defer { checkInvariants() }
        queues.spoolOpened(recovered: totals.count)
        statusCache.spoolOpened(totals: totals, note: note, clearsError: clearsError)
        publishSpoolTotals(totals)
    }

    /// The spool cannot be opened: records that cannot go to Kafka are dropped until it can.
    mutating func spoolUnavailable(_ error: String) {
        queues.spoolUnavailable()
        statusCache.spoolUnavailable(error)
    }

    /// The spool loop is about to sleep: unless records already wait for it, it
    /// wants a wake-up for the next one a caller waits on. Returns whether it may sleep.
    mutating func markSpoolLoopIdle(now: ContinuousClock.Instant = .now) -> Bool {
        let idle = !queues.hasWorkForSpillWriter && !book.hasEscrowDue(by: now)
        wakeUps.spoolLoop(idle: idle)
        return idle
    }

    /// One round of the spool loop's work, taken at once; callers past their
    /// deadline are answered too, so a stuck Kafka never holds them up.
    mutating func takeSpoolLoopWork(now: ContinuousClock.Instant, escrowBatch: Int) -> SpoolLoopWork {
        _ = wakeUps.claimSpoolWake()
        book.expire(now: now)
        return SpoolLoopWork(
            escrow: takeEscrow(max: escrowBatch, dueBy: now),
            escrowBookkeeping: takeEscrowBookkeeping(),
            handoff: takeHandoff(),
            replayBookkeeping: takeReplayBookkeeping(),
            droppedToScan: takeDroppedToScan()
        )
    }

    /// Work for the spill writer: every waiting dead letter, and the oldest chunk
    /// of the hand-off, taken in O(1). They stay counted in the hand-off until the
    /// spool answers for them with `spoolWrote`/`spoolFailed`.
    mutating func takeHandoff() -> (ready: HandoffQueue.Chunk?, dead: [DeadLetter]) {
        defer { checkInvariants() }
        return queues.takeHandoff()
    }

    /// Escrow copies for the spill writer, up to `max`, oldest first: those due by `now` (`nil`: all).
    mutating func takeEscrow(max: Int, dueBy now: ContinuousClock.Instant? = nil) -> [PendingRecord] {
        defer { checkInvariants() }
        return book.takeEscrow(max: max, dueBy: now)
    }

    /// Releases and settlements of committed escrow copies, for the spool loop to carry out.
    mutating func takeEscrowBookkeeping() -> EscrowBook.Bookkeeping {
        book.takeEscrowBookkeeping()
    }

    /// Live queues dropped with callers waiting on some of their records, for the
    /// spool loop to search outside the lock.
    mutating func takeDroppedToScan() -> [Deque<PendingRecord>] {
        queues.takeDroppedToScan()
    }

    /// The spool committed `count` records taken with the hand-off, evicting `evicted`
    /// to make room (older records, and the batch's own oldest: `unwritten`).
    /// Callers waiting on the batch's records are answered: `written` ones are
    /// committed, `unwritten` ones dropped, unless an escrow copy keeps them.
    /// `deadLetterReason` is set for a batch of dead letters.
    mutating func spoolWrote(
        _ count: Int, bytes: Int, evicted: Int, deadLettered: Int = 0, totals: SpoolTotals,
        written: [AwaitedRecord] = [], unwritten: [AwaitedRecord] = [], deadLetterReason: String? = nil
    ) {
        defer { checkInvariants() }
        let rescued = book.unwritten(unwritten, reason: .spoolEvicted, deadLetterReason: deadLetterReason)
        queues.handoffWritten(count, bytes: bytes, evicted: evicted - rescued.records, deadLettered: deadLettered)
        book.written(written, deadLetterReason: deadLetterReason)
        publishSpoolTotals(totals)
    }

    /// The spool could not keep `count` records taken with the hand-off. Those of
    /// `awaited` with a committed escrow copy are kept by it; the rest are dropped,
    /// and their callers told so.
    mutating func spoolFailed(_ count: Int, bytes: Int, reason: DropReason, error: String?, awaited: [AwaitedRecord] = [], deadLetterReason: String? = nil) {
        defer { checkInvariants() }
        let rescued = book.unwritten(awaited, reason: reason, deadLetterReason: deadLetterReason)
        queues.handoffFailed(count, bytes: bytes, rescued: rescued, reason: reason)
        statusCache.noteError(error)
    }

    /// The spool committed the escrow copies of `written`; `unwritten` found no room.
    /// Ready records it `evicted` to make room are dropped (counted).
    mutating func escrowWrote(_ written: [UInt64], unwritten: [UInt64], evicted: Int, totals: SpoolTotals) {
        defer { checkInvariants() }
        book.escrowWrote(written, unwritten: unwritten)
        queues.spoolEvicted(evicted)
        publishSpoolTotals(totals)
    }

    /// The spool could not write the escrow copies of `ids`: those records are only live.
    mutating func escrowFailed(_ ids: [UInt64], error: String?) {
        book.escrowFailed(ids)
        statusCache.noteError(error)
    }

    /// Escrow copies were released or settled in the spool (the ledger moved when they were decided).
    mutating func escrowSettled(totals: SpoolTotals) {
        publishSpoolTotals(totals)
    }

    /// Records of a dropped live queue whose callers wait: they are told.
    mutating func droppedAwaitingFound(_ ids: [UInt64]) {
        for id in ids { book.dropped(id, .spoolUnavailable) }
    }

    /// Whether the spool loop has written out everything and may close the spool.
    var spoolLoopMayFinish: Bool {
        lifecycle.spoolLoopMayFinish && queues.isEmpty && !replay.hasBookkeeping && book.escrow.isIdle
    }

    /// The spool is closed. Every caller has been answered by now (each answer
    /// follows its record); any left is answered with what is known, so none hangs.
    mutating func spoolLoopFinished() {
        book.answerEveryone(Self.debugContext)
        lifecycle.spoolLoopFinished()
    }

    /// Answers every caller whose deadline has passed (either loop, each round).
    mutating func expireAckWaiters(now: ContinuousClock.Instant) {
        book.expire(now: now)
    }

    /// Answers decided since the last call, for the caller to deliver once it has released the lock.
    mutating func takeAnswers() -> [AckAnswer] {
        book.takeAnswers()
    }

    // MARK: Replay (both loops)

    /// Kafka's verdicts on replayed records, for the spool loop to carry out.
    mutating func takeReplayBookkeeping() -> ReplayState.Bookkeeping {
        replay.takeBookkeeping()
    }

    /// Replayed records for the delivery loop, only while no live record waits (live traffic first).
    mutating func takeReplay(max: Int) -> [SpooledRecord] {
        guard queues.live.isEmpty else { return [] }
        return replay.take(max: max)
    }

    /// How a batch of `taken` records from `takeReplay` went: `sent` handed to
    /// librdkafka, refused ones to the dead-letter area, and from `unsentFrom` on nothing sent.
    mutating func replaySent(taken: Int, sent: Int, deadLetters: [(id: Int64, reason: String)], unsentFrom: Int64?) {
        replay.handedOver(taken)
        queues.replayInFlight(adding: sent)
        replay.settle(acks: [], deadLetters: deadLetters, failed: [], possiblyPersisted: [])
        if let unsentFrom { replay.unsent(from: unsentFrom) }
    }

    /// The replay controller's decision, for the replay reader and status pages.
    mutating func publishReplayControl(rate: Double, phase: ReplayPhase) {
        replay.setControl(rate: rate, phase: phase)
    }

    /// Records the replay reader read from the spool, for the delivery loop.
    mutating func offerReplay(_ records: [SpooledRecord]) {
        replay.offer(records)
    }

    /// Where replay reading starts again, once nothing of it is in flight.
    mutating func takeReplayRewind() -> Int64? {
        replay.takeRewind(replayInFlight: queues.ledger.replayInFlight)
    }

    /// Past the newest record with some left behind the cursor (a delete that
    /// failed, say): whether reading may start again from the oldest.
    var mayReadReplayFromOldest: Bool {
        replay.mayReadFromOldest(replayInFlight: queues.ledger.replayInFlight)
    }

    /// Acknowledged replayed records were deleted from the spool.
    mutating func spoolDeleted(_ count: Int, totals: SpoolTotals) {
        defer { checkInvariants() }
        queues.spoolDelivered(count)
        publishSpoolTotals(totals)
    }

    /// Replayed records were marked possibly persisted in the spool; `count` were not marked before.
    mutating func spoolMarkedPossiblyPersisted(_ count: Int) {
        queues.countPossiblyPersisted(count)
    }

    /// Spooled rows that break the rules were moved to the dead-letter area unread.
    mutating func spoolQuarantined(_ count: Int, totals: SpoolTotals) {
        queues.countQuarantined(count)
        publishSpoolTotals(totals)
    }

    /// Replayed records Kafka refused were moved to the spool's dead-letter area.
    mutating func spoolMovedToDeadLetters(_ count: Int, totals: SpoolTotals) {
        queues.countDeadLettered(count)
        publishSpoolTotals(totals)
    }

    // MARK: Operators

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

    // MARK: Status

    /// The spool's totals: for status pages, and for `fifo` ordering (a backlog goes first).
    mutating func publishSpoolTotals(_ totals: SpoolTotals) {
        statusCache.publishSpoolTotals(totals)
        queues.setSpoolBacklog(totals.readyCount > 0)
    }

    // MARK: Invariants

    /// Names what was running when an invariant broke (a model test's seed), in the assertion's message.
    @TaskLocal static var debugContext = ""

    /// Each part's invariants: the conservation equation, the places agreeing with
    /// the ledger, the memory bounds, the bounds on waiting callers. O(1); debug builds only.
    func checkInvariants() {
        queues.checkInvariants(Self.debugContext)
        book.checkInvariants(Self.debugContext)
    }
}
