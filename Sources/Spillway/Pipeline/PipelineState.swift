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

    // Acknowledgement levels: callers of `send(…, ack:)` wait here, never on a thread.

    /// Callers waiting for `spool` or `kafka` acknowledgements, bounded.
    private(set) var acks: AckWaiters<AckRecipient>
    /// Escrow copies of `kafka` records sent live.
    private(set) var escrow = EscrowBook()
    private var ackCounts = AckCounts()
    /// Answers decided under the lock, for whoever holds it next to deliver after releasing it.
    private var answers: [AckAnswer] = []
    /// `kafka` records in the live queue, so a dropped queue is searched for their callers only when it holds some.
    private var liveAwaiting = 0
    /// Live queues dropped whole (no spool to move them to) that hold records callers
    /// wait for: the spool loop finds them outside the lock (`droppedAwaitingFound`).
    private var droppedToScan: [Deque<PendingRecord>] = []
    /// The spool loop is about to sleep and wants a wake-up for records callers wait on.
    private(set) var spoolLoopIdle = false

    init(
        queueLimits: QueueLimits,
        handoffLimits: QueueLimits,
        replay: ReplayConfiguration,
        divertWhileBacklog: Bool,
        spoolBatchSize: Int = 1000,
        ack: AckConfiguration = AckConfiguration()
    ) {
        self.queueLimits = queueLimits
        self.handoffLimits = handoffLimits
        self.divertWhileBacklog = divertWhileBacklog
        self.replay = ReplayState(configuration: replay)
        self.replay.setBreakerAllows(true)
        handoff = HandoffQueue(chunkSize: spoolBatchSize)
        live = Self.emptyLiveQueue(queueLimits)
        acks = AckWaiters(limits: ack)
    }

    /// Room for up to 65,536 records up front, so an append under the lock
    /// copies the queue to grow it only past that (once per doubling). Not the
    /// whole bound: the ring's first pass touches a fresh page every few dozen
    /// appends, and with a bound of a million that made 2–3 % of `send` calls pay
    /// a page fault (p99 1.5 µs instead of 0.4 µs, `pipeline-benchmark`), and
    /// left the whole bound resident once the ring had gone round.
    private static func emptyLiveQueue(_ limits: QueueLimits) -> Deque<PendingRecord> {
        Deque(minimumCapacity: min(limits.maxRecords, 1 << 16))
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
        if mayGoLive(size: size) {
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

    /// The breaker is sending, no backlog must go first, and the live bound has room.
    @inline(__always)
    private func mayGoLive(size: Int) -> Bool {
        sending && !(divertWhileBacklog && spoolBacklog)
            && ledger.liveQueued + ledger.inFlight < queueLimits.maxRecords
            && ledger.liveQueuedBytes + ledger.inFlightBytes + size <= queueLimits.maxBytes
    }

    /// What `accept(_:size:awaiting:…)` decided: the answer when it is known at once,
    /// and whom the caller must wake.
    struct AwaitingAcceptance: Sendable {
        /// `nil`: the caller is registered and will be answered later.
        var answer: Acknowledgement?
        var wakeDelivery = false
        var wakeSpool = false
    }

    /// Takes in a record whose caller waits for `level` (`spool` or `kafka`).
    ///
    /// - `spool`: to the hand-off, whatever the breaker does; answered once committed.
    /// - `kafka`: live when a `memory` record would be, with an escrow copy queued for
    ///   the spool; answered on Kafka's acknowledgement, its failure, or the deadline.
    ///   When it cannot go live, it goes to the hand-off, as at `spool`.
    ///
    /// Past the waiting bounds (or the escrow queue's), the record is taken in as at
    /// `memory` and answered at once with reason `ack_capacity`.
    mutating func accept(_ record: consuming Record, size: Int, awaiting level: AckLevel, recipient: AckRecipient, now: ContinuousClock.Instant) -> AwaitingAcceptance {
        precondition(level != .memory, "memory records are taken with accept(_:size:)")
        defer { checkInvariants() }
        ackCounts.countAccepted(level)
        guard lifecycle.acceptsRecords else {
            ledger.acceptDropped(.shuttingDown)
            return AwaitingAcceptance(answer: counted(level, Acknowledgement(memory: .dropped(.shuttingDown))))
        }
        let escrowRoom = level != .kafka
            || (escrow.queuedCount < acks.limits.maxPendingRecords && escrow.queuedBytes + size <= acks.limits.maxPendingBytes)
        guard acks.hasRoom(forBytes: size), escrowRoom else {
            let disposition = accept(record, size: size)
            return AwaitingAcceptance(
                answer: counted(level, Acknowledgement(memory: disposition, reason: .capacity)),
                wakeDelivery: disposition == .queued && claimWakeUp()
            )
        }
        let pending = PendingRecord(id: nextID, record: record, ack: level, size: size)
        nextID &+= 1
        if level == .kafka, mayGoLive(size: size) {
            guard makeRoom(records: 1, bytes: size) else {
                ledger.acceptDropped(.memoryFull)
                return AwaitingAcceptance(answer: counted(level, Acknowledgement(memory: .dropped(.memoryFull))))
            }
            // No spool to write a copy to: the record goes live without one.
            if spoolAvailable { escrow.enqueue(pending) }
            let id = pending.id
            live.append(consume pending)
            ledger.acceptIntoLive(bytes: size)
            liveAwaiting += 1
            acks.register(id, level: level, size: size, disposition: .queued, token: recipient, now: now)
            return AwaitingAcceptance(wakeDelivery: claimWakeUp(), wakeSpool: spoolAvailable && claimSpoolWake())
        }
        guard spoolAvailable else {
            ledger.acceptDropped(.spoolUnavailable)
            return AwaitingAcceptance(answer: counted(level, Acknowledgement(memory: .dropped(.spoolUnavailable))))
        }
        ledger.acceptIntoHandoff(bytes: size)
        let id = pending.id
        handoff.append(consume pending)
        _ = makeRoom(records: 0, bytes: 0)
        guard handoff.contains(newest: id) else {
            return AwaitingAcceptance(answer: counted(level, Acknowledgement(memory: .dropped(.memoryFull))))
        }
        acks.register(id, level: level, size: size, disposition: .spooled, token: recipient, now: now)
        return AwaitingAcceptance(wakeSpool: claimSpoolWake())
    }

    /// Counts a refusal at intake (never accepted).
    mutating func reject(_ code: String, count: Int = 1) {
        guard count > 0 else { return }
        ledger.reject(code, count: count)
    }

    /// Counts a refusal at intake of a record asked for at `level` (its caller is answered at once).
    mutating func reject(_ code: String, awaiting level: AckLevel, rejection: Rejection) {
        ledger.reject(code)
        _ = counted(level, Acknowledgement(disposition: .rejected(rejection), reached: nil))
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
            dropFromHandoff(oldest)
        }
        return fits()
    }

    /// One record out of the hand-off for want of memory: dropped, and its caller
    /// told, unless its escrow copy is on disk already (then that is its spool record).
    /// Kept out of `makeRoom`, which every hand-over runs: the common path stays small.
    @inline(never)
    private mutating func dropFromHandoff(_ oldest: PendingRecord) {
        if oldest.ack != .memory, settleIntoEscrowCopy(oldest) {
            ledger.handoffSpooled(1, bytes: oldest.size, evicted: 0)
            return
        }
        ledger.handoffDropped(1, bytes: oldest.size, .memoryFull)
        if oldest.ack != .memory {
            escrow.release(oldest.id)
            answerDropped(oldest.id, .memoryFull)
        }
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
        var awaiting = 0
        for _ in 0..<taken {
            let pending = live.removeFirst()
            bytes += pending.size
            if pending.ack != .memory { awaiting += 1 }
            batch.append(pending)
        }
        liveAwaiting -= awaiting
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
            if pending.ack != .memory { liveAwaiting += 1 }
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
        for delivered in settlement.kafkaDelivered {
            escrow.release(delivered.id)
            answer(delivered.id) { _ in
                Acknowledgement(disposition: .delivered, reached: .kafka, partition: delivered.partition, offset: delivered.offset >= 0 ? delivered.offset : nil)
            }
        }
        for pending in settlement.kafkaSpills { settleFailedKafkaRecord(pending, deadLetterReason: nil) }
        for deadLetter in settlement.kafkaDeadLetters { settleFailedKafkaRecord(deadLetter.pending, deadLetterReason: deadLetter.reason) }
        ledger.replayInFlight -= settlement.replaySettled
        ledger.countPossiblyPersisted(settlement.livePossiblyPersisted)
        replay.settle(acks: settlement.replayAcks, deadLetters: settlement.replayDeadLetters, failed: settlement.replayFailed, possiblyPersisted: settlement.replayPossiblyPersisted)
        if let error = settlement.lastError { lastError = kafkaIncompatibility ?? error }
    }

    /// A `kafka` record Kafka did not take (a failure, a purge, or a refusal about the
    /// record itself): its committed escrow copy becomes its spool record, with no
    /// second copy written, and its caller is answered now; without one, it goes to
    /// the hand-off like any live record and is answered once written.
    private mutating func settleFailedKafkaRecord(_ pending: PendingRecord, deadLetterReason: String?) {
        if settleIntoEscrowCopy(pending, deadLetterReason: deadLetterReason) {
            ledger.flightToSpooled(1, bytes: pending.size)
            if deadLetterReason != nil { ledger.countDeadLettered(1) }
            return
        }
        escrow.release(pending.id)
        guard spoolAvailable else {
            ledger.flightDropped(1, bytes: pending.size, .spoolUnavailable)
            answerDropped(pending.id, .spoolUnavailable)
            return
        }
        ledger.flightToHandoff(1, bytes: pending.size)
        if let deadLetterReason {
            deadHandoff.append(DeadLetter(pending: pending, reason: deadLetterReason))
        } else {
            handoff.append(pending)
        }
        acks.setDisposition(pending.id, .spooled)
    }

    /// If `pending` has a committed escrow copy, makes that its spool record (ready,
    /// or a dead letter), answers its caller, and returns `true`. The caller moves the ledger.
    private mutating func settleIntoEscrowCopy(_ pending: PendingRecord, deadLetterReason: String? = nil) -> Bool {
        guard pending.ack == .kafka, escrow.isCommitted(pending.id) else { return false }
        escrow.settle(pending.id, possiblyPersisted: pending.record.possiblyPersisted, deadLetterReason: deadLetterReason)
        answer(pending.id) { _ in Self.committed(.kafka, deadLetter: deadLetterReason != nil) }
        return true
    }

    /// Replayed records for the delivery loop, only while no live record waits (live traffic first).
    mutating func takeReplay(max: Int) -> [SpooledRecord] {
        guard live.isEmpty else { return [] }
        return replay.take(max: max)
    }

    /// How a batch of `taken` records from `takeReplay` went: `sent` handed to
    /// librdkafka, refused ones to the dead-letter area, and from `unsentFrom` on nothing sent.
    mutating func replaySent(taken: Int, sent: Int, deadLetters: [(id: Int64, reason: String)], unsentFrom: Int64?) {
        replay.handedOver(taken)
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
    mutating func deliveryLoopFinished(unreported: Settlement) {
        defer { checkInvariants() }
        beginDrain()
        settle(unreported)
        ledger.replayInFlight = 0
        lifecycle.deliveryLoopFinished()
    }

    /// Moves the whole live queue to the hand-off in O(1). Callers waiting on `kafka`
    /// records in it are answered once the spool writer has written them (their
    /// escrow copies are released then); with no spool, the queue is dropped, and
    /// the spool loop looks for those callers outside the lock.
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
            if liveAwaiting > 0 { droppedToScan.append(moved) }
        }
        liveAwaiting = 0
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
        // Mostly empty: `Array` of an empty deque writes its count into the shared
        // empty-array storage, which ThreadSanitizer reports as a race between threads.
        let dead = deadHandoff.isEmpty ? [] : Array(deadHandoff)
        deadHandoff.removeAll()
        let ready = handoff.popFirstChunk()
        writing.add(dead.count + (ready?.records.count ?? 0), bytes: dead.reduce(0) { $0 + $1.pending.size } + (ready?.bytes ?? 0))
        return (ready, dead)
    }

    /// The spool committed `count` records taken with `takeHandoff`, evicting `evicted`
    /// to make room (older records, and the batch's own oldest: `unwritten`).
    /// Callers waiting on the batch's records are answered: `written` ones are
    /// committed, `unwritten` ones dropped, unless an escrow copy keeps them.
    /// `deadLetterReason` is set for a batch of dead letters.
    mutating func spoolWrote(
        _ count: Int,
        bytes: Int,
        evicted: Int,
        deadLettered: Int = 0,
        totals: SpoolTotals,
        written: [AwaitedRecord] = [],
        unwritten: [AwaitedRecord] = [],
        deadLetterReason: String? = nil
    ) {
        defer { checkInvariants() }
        writing.remove(count, bytes: bytes)
        var rescued = 0
        for record in unwritten {
            if record.level == .kafka, escrow.isCommitted(record.id) {
                escrow.settle(record.id, possiblyPersisted: false, deadLetterReason: deadLetterReason)
                answer(record.id) { _ in Self.committed(.kafka, deadLetter: deadLetterReason != nil) }
                rescued += 1
            } else {
                escrow.release(record.id)
                answerDropped(record.id, .spoolEvicted)
            }
        }
        ledger.handoffSpooled(count, bytes: bytes, evicted: evicted - rescued)
        ledger.countDeadLettered(deadLettered)
        for record in written {
            // The spool holds it now: an escrow copy would be a second one.
            escrow.release(record.id)
            answer(record.id) { waiter in Self.committed(waiter.level, deadLetter: deadLetterReason != nil) }
        }
        publishSpoolTotals(totals)
    }

    /// The spool could not keep `count` records taken with `takeHandoff`. Those of
    /// `awaited` with a committed escrow copy are kept by it; the rest are dropped,
    /// and their callers told so.
    mutating func spoolFailed(_ count: Int, bytes: Int, reason: DropReason, error: String?, awaited: [AwaitedRecord] = [], deadLetterReason: String? = nil) {
        defer { checkInvariants() }
        writing.remove(count, bytes: bytes)
        var rescued = RecordCount()
        for record in awaited {
            if record.level == .kafka, escrow.isCommitted(record.id) {
                escrow.settle(record.id, possiblyPersisted: false, deadLetterReason: deadLetterReason)
                answer(record.id) { _ in Self.committed(.kafka, deadLetter: deadLetterReason != nil) }
                rescued.add(1, bytes: record.size)
            } else {
                escrow.release(record.id)
                answerDropped(record.id, reason)
            }
        }
        ledger.handoffSpooled(rescued.records, bytes: rescued.bytes, evicted: 0)
        ledger.handoffDropped(count - rescued.records, bytes: bytes - rescued.bytes, reason)
        if let error { lastError = error }
    }

    // MARK: Escrow (spool loop)

    /// Escrow copies for the spool writer, up to `max`, oldest first.
    mutating func takeEscrow(max: Int) -> [PendingRecord] {
        defer { checkInvariants() }
        return escrow.take(max: max)
    }

    /// The spool committed the escrow copies of `written`; `unwritten` found no room.
    /// Ready records it `evicted` to make room are dropped (counted).
    mutating func escrowWrote(_ written: [UInt64], unwritten: [UInt64], evicted: Int, totals: SpoolTotals) {
        defer { checkInvariants() }
        escrow.wrote(written)
        escrow.failed(unwritten)
        ledger.spoolEvicted(evicted)
        publishSpoolTotals(totals)
    }

    /// The spool could not write the escrow copies of `ids`: those records are only live.
    mutating func escrowFailed(_ ids: [UInt64], error: String?) {
        defer { checkInvariants() }
        escrow.failed(ids)
        if let error { lastError = error }
    }

    /// Releases and settlements of committed escrow copies, for the spool loop.
    mutating func takeEscrowBookkeeping() -> EscrowBook.Bookkeeping {
        escrow.takeBookkeeping()
    }

    /// Escrow copies were released or settled in the spool (the ledger moved when they were decided).
    mutating func escrowSettled(totals: SpoolTotals) {
        publishSpoolTotals(totals)
    }

    /// Live queues dropped with callers waiting on some of their records, for the
    /// spool loop to search outside the lock.
    mutating func takeDroppedToScan() -> [Deque<PendingRecord>] {
        defer { droppedToScan.removeAll() }
        return droppedToScan
    }

    /// Records of a dropped live queue whose callers wait: they are told.
    mutating func droppedAwaitingFound(_ ids: [UInt64]) {
        for id in ids {
            escrow.release(id)
            answerDropped(id, .spoolUnavailable)
        }
    }

    // MARK: Acknowledgements

    /// Answers every caller whose deadline has passed with what its record has
    /// reached: `kafka` records with a committed escrow copy are on disk.
    mutating func expireAckWaiters(now: ContinuousClock.Instant) {
        for (id, waiter) in acks.removeExpired(now: now) {
            let acknowledgement = waiter.level == .kafka && escrow.isCommitted(id)
                ? Acknowledgement(disposition: .spooled, reached: .spool, reason: .timeout)
                : Acknowledgement(memory: waiter.disposition, reason: .timeout)
            deliver(acknowledgement, to: waiter)
        }
    }

    /// Answers decided since the last call, for the caller to deliver once it has released the lock.
    mutating func takeAnswers() -> [AckAnswer] {
        guard !answers.isEmpty else { return [] }
        defer { answers.removeAll() }
        return answers
    }

    /// The spool loop is about to sleep: unless records already wait for it, it
    /// wants a wake-up for the next one a caller waits on. Returns whether it may sleep.
    mutating func markSpoolLoopIdle() -> Bool {
        spoolLoopIdle = handoff.isEmpty && deadHandoff.isEmpty && escrow.queuedCount == 0
        return spoolLoopIdle
    }

    /// Whether whoever just handed over a record a caller waits on must wake the spool loop; claims the wake-up.
    mutating func claimSpoolWake() -> Bool {
        guard spoolLoopIdle else { return false }
        spoolLoopIdle = false
        return true
    }

    /// The figures, with the callers waiting now.
    var ackFigures: AckCounts {
        var figures = ackCounts
        figures.pendingRecords = acks.pendingCount
        figures.pendingBytes = acks.pendingBytes
        return figures
    }

    /// The answer for a record committed to the spool, by the level its caller asked.
    private static func committed(_ level: AckLevel, deadLetter: Bool = false) -> Acknowledgement {
        let reason: AckReason? = level == .kafka ? (deadLetter ? .deadLetter : .kafkaUnavailable) : nil
        return Acknowledgement(disposition: .spooled, reached: .spool, reason: reason)
    }

    /// Answers the caller waiting on `id`, if one does.
    private mutating func answer(_ id: UInt64, _ acknowledgement: (AckWaiters<AckRecipient>.Waiter) -> Acknowledgement) {
        guard let waiter = acks.remove(id) else { return }
        deliver(acknowledgement(waiter), to: waiter)
    }

    private mutating func answerDropped(_ id: UInt64, _ reason: DropReason) {
        answer(id) { _ in Acknowledgement(disposition: .dropped(reason), reached: nil) }
    }

    private mutating func deliver(_ acknowledgement: Acknowledgement, to waiter: AckWaiters<AckRecipient>.Waiter) {
        ackCounts.countAnswer(waiter.level, acknowledgement)
        answers.append(AckAnswer(recipient: waiter.token, acknowledgement: acknowledgement))
    }

    /// Counts an answer given at once, and returns it.
    private mutating func counted(_ level: AckLevel, _ acknowledgement: Acknowledgement) -> Acknowledgement {
        ackCounts.countAnswer(level, acknowledgement)
        return acknowledgement
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
            && escrow.isIdle && droppedToScan.isEmpty
    }

    /// The spool is closed. Every caller has been answered by now (each answer
    /// follows its record); any left is answered with what is known, so none hangs.
    mutating func spoolLoopFinished() {
        assert(acks.isEmpty, "\(acks.pendingCount) callers still wait at shutdown \(Self.debugContext)")
        for (_, waiter) in acks.removeAll() {
            deliver(Acknowledgement(memory: waiter.disposition, reason: .timeout), to: waiter)
        }
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
        assert(
            acks.pendingCount <= acks.limits.maxPendingRecords && acks.pendingBytes <= acks.limits.maxPendingBytes,
            "waiting bound exceeded: \(acks.pendingCount) callers, \(acks.pendingBytes) bytes \(Self.debugContext)"
        )
        assert(escrow.queuedCount <= acks.limits.maxPendingRecords, "escrow queue bound exceeded: \(escrow.queuedCount) \(Self.debugContext)")
        assert(liveAwaiting >= 0 && liveAwaiting <= live.count, "kafka records in the live queue: \(liveAwaiting) of \(live.count) \(Self.debugContext)")
    }
}
