import DequeModule
import SpillwaySpool

/// Where records wait in memory, and the one rule for which place a new record
/// takes: the live queue (for the delivery loop) or the spool's hand-off (for the
/// spill writer), within the memory bounds, the hand-off's oldest dropped when
/// memory is full. It keeps the `Ledger`: every change to a place moves the
/// matching term, so `checkInvariants` holds after each of its methods.
///
/// Owned by `PipelineState`, under its lock; O(1) per record, and a whole queue
/// moves in O(1).
struct RecordQueues: Sendable {
    let queueLimits: QueueLimits
    let handoffLimits: QueueLimits
    /// `fifo` ordering: while the spool holds a backlog, new records queue behind it.
    let divertWhileBacklog: Bool

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

    /// Records callers wait on in the live queue, so a dropped queue is searched for them only when it holds some.
    private var liveAwaiting = 0
    /// The live queue held more than `liveReservation` records since it was last fresh.
    private var liveOutgrewReservation = false
    /// An outgrown live queue's storage (empty), swapped out by `takeLive`: freeing
    /// megabytes is left to whoever takes it, after the lock.
    private var retiredLive: Deque<PendingRecord>?
    /// Live queues dropped whole (no spool to move them to) that hold records callers
    /// wait on: the spool loop finds them outside the lock.
    private var droppedToScan: [Deque<PendingRecord>] = []

    init(queueLimits: QueueLimits, handoffLimits: QueueLimits, divertWhileBacklog: Bool, spoolBatchSize: Int) {
        self.queueLimits = queueLimits
        self.handoffLimits = handoffLimits
        self.divertWhileBacklog = divertWhileBacklog
        handoff = HandoffQueue(chunkSize: spoolBatchSize)
        live = Self.emptyLiveQueue(queueLimits)
    }

    /// Records the live queue has room for up to front: a few rounds of the delivery
    /// loop at full speed (it takes 1,000 a round), 360 kB. The queue is a ring, so
    /// traffic through it keeps its whole storage resident however few records it
    /// holds: reserving 65,536 (5.8 MB) cost every busy service that much RSS, twice
    /// across a breaker opening (issue 22). Past this, an append doubles the storage
    /// (a copy under the lock, once per doubling of a backlog); once the delivery
    /// loop has emptied an outgrown queue it gets a fresh one of this size again.
    /// Not the whole bound either way: with a million reserved, the ring's first pass
    /// faulted in a fresh page every few dozen appends (`send` p99 1.5 µs instead of 0.4 µs).
    static let liveReservation = 4096

    private static func emptyLiveQueue(_ limits: QueueLimits) -> Deque<PendingRecord> {
        Deque(minimumCapacity: min(limits.maxRecords, liveReservation))
    }

    // MARK: Intake

    /// The intake id the last accepted record was stamped with.
    var newestID: UInt64 { nextID &- 1 }

    /// The newest live record: the one `accept` just queued, for its escrow copy.
    var newestLive: PendingRecord? { live.last }

    /// Stamps a record with its intake id and takes it in: into the live queue
    /// when the breaker is sending, no backlog must go first, the live bound
    /// (queue plus in flight) has room and its caller does not want it on disk
    /// first (`spool`); else into the hand-off. The one routing rule of every
    /// entry point and acknowledgement level.
    mutating func accept<Keeper: AwaitedRecordKeeper>(_ record: consuming Record, size: Int, ack: AckLevel, keeper: inout Keeper) -> Disposition {
        let pending = PendingRecord(id: nextID, record: record, ack: ack, size: size)
        nextID &+= 1
        if ack != .spool, mayGoLive(size: size) {
            // The hand-off may have borrowed the queue's room: take it back from its oldest records.
            guard makeRoom(records: 1, bytes: size, keeper: &keeper) else {
                ledger.acceptDropped(.memoryFull)
                return .dropped(.memoryFull)
            }
            live.append(consume pending)
            ledger.acceptIntoLive(bytes: size)
            if ack != .memory { liveAwaiting += 1 }
            return .queued
        }
        guard spoolAvailable else {
            ledger.acceptDropped(.spoolUnavailable)
            return .dropped(.spoolUnavailable)
        }
        ledger.acceptIntoHandoff(bytes: size)
        let id = pending.id
        handoff.append(consume pending)
        _ = makeRoom(records: 0, bytes: 0, keeper: &keeper)
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

    /// Drops the oldest records waiting for the spool until memory as a whole (live
    /// queue, in flight, hand-off) has room for `records` more records of `bytes`,
    /// within the two bounds together; returns whether it has. The caller never
    /// waits for the disk: when the disk is slower than intake, the oldest go.
    ///
    /// The hand-off may use what the live queue and librdkafka leave unused of their
    /// own bound: when the breaker opens, a full queue and librdkafka's purge move
    /// into the hand-off at once, and must not push out records just accepted. The
    /// queue takes that room back as it fills again.
    private mutating func makeRoom<Keeper: AwaitedRecordKeeper>(records: Int, bytes: Int, keeper: inout Keeper) -> Bool {
        func fits() -> Bool {
            ledger.queued + ledger.inFlight + records <= queueLimits.maxRecords + handoffLimits.maxRecords
                && ledger.liveQueuedBytes + ledger.inFlightBytes + ledger.handoffBytes + bytes <= queueLimits.maxBytes + handoffLimits.maxBytes
        }
        while !fits(), let oldest = handoff.popFirst() {
            dropFromHandoff(oldest, keeper: &keeper)
        }
        return fits()
    }

    /// One record out of the hand-off for want of memory: dropped, unless its
    /// caller's escrow copy is on disk already (then that is its spool record).
    /// Kept out of `makeRoom`, which every hand-over runs: the common path stays small.
    @inline(never)
    private mutating func dropFromHandoff<Keeper: AwaitedRecordKeeper>(_ oldest: PendingRecord, keeper: inout Keeper) {
        if oldest.ack != .memory, keeper.handoffDropped(oldest, .memoryFull) {
            ledger.handoffSpooled(1, bytes: oldest.size, evicted: 0)
        } else {
            ledger.handoffDropped(1, bytes: oldest.size, .memoryFull)
        }
    }

    /// A record accepted and dropped at once (intake closed).
    mutating func acceptDropped(_ reason: DropReason) {
        ledger.acceptDropped(reason)
    }

    /// Counts a refusal at intake (never accepted).
    mutating func reject(_ code: String, count: Int = 1) {
        guard count > 0 else { return }
        ledger.reject(code, count: count)
    }

    // MARK: Live queue and flight (delivery loop)

    /// Moves up to `count` live records into flight. A queue that grew past its
    /// reservation and is now empty is swapped for a fresh one; the outgrown storage
    /// waits in `retiredLive` for the delivery loop to free outside the lock.
    mutating func takeLive(_ count: Int) -> [PendingRecord] {
        // Between two calls the queue only grows (appends, records given back), so a
        // queue that outgrew its reservation is seen here before it is emptied.
        if live.count > Self.liveReservation { liveOutgrewReservation = true }
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
        if liveOutgrewReservation, live.isEmpty { retiredLive = swapOutLive() }
        return batch
    }

    /// The storage `takeLive` swapped out, if any, to be released outside the lock.
    mutating func takeRetiredLiveQueue() -> Deque<PendingRecord>? {
        retiredLive.take()
    }

    /// Gives the live queue fresh storage of the reserved size; returns the old queue, records and all.
    private mutating func swapOutLive() -> Deque<PendingRecord> {
        var old = Self.emptyLiveQueue(queueLimits)
        swap(&old, &live)
        liveOutgrewReservation = false
        return old
    }

    /// Puts records librdkafka would not take (its queue is full) back at the front, in order.
    mutating func returnToLive(_ records: ArraySlice<PendingRecord>) {
        var bytes = 0
        for pending in records.reversed() {
            live.prepend(pending)
            bytes += pending.size
            if pending.ack != .memory { liveAwaiting += 1 }
        }
        ledger.flightToLive(records.count, bytes: bytes)
    }

    /// Kafka acknowledged live records.
    mutating func flightDelivered(_ delivered: RecordCount) {
        ledger.flightDelivered(delivered.records, bytes: delivered.bytes)
    }

    /// Live records Kafka did not take go to the hand-off whole (dropped with no spool).
    mutating func flightToHandoff(_ chunk: HandoffQueue.Chunk) {
        if spoolAvailable {
            ledger.flightToHandoff(chunk.records.count, bytes: chunk.bytes)
            handoff.append(chunk)
        } else {
            ledger.flightDropped(chunk.records.count, bytes: chunk.bytes, .spoolUnavailable)
        }
    }

    /// One live record Kafka did not take, to the hand-off (or, with `deadLetterReason`,
    /// to the dead-letter hand-off). Returns `false` when there is no spool: dropped.
    @discardableResult
    mutating func flightToHandoff(_ pending: PendingRecord, deadLetterReason: String?) -> Bool {
        guard spoolAvailable else {
            ledger.flightDropped(1, bytes: pending.size, .spoolUnavailable)
            return false
        }
        ledger.flightToHandoff(1, bytes: pending.size)
        if let deadLetterReason {
            deadHandoff.append(DeadLetter(pending: pending, reason: deadLetterReason))
        } else {
            handoff.append(pending)
        }
        return true
    }

    /// A live record whose committed escrow copy became its spool record (ready, or a dead letter).
    mutating func flightToSpooled(bytes: Int, deadLettered: Bool) {
        ledger.flightToSpooled(1, bytes: bytes)
        if deadLettered { ledger.countDeadLettered(1) }
    }

    mutating func countPossiblyPersisted(_ count: Int) {
        ledger.countPossiblyPersisted(count)
    }

    mutating func countQuarantined(_ count: Int) {
        ledger.countQuarantined(count)
    }

    /// The breaker changed what it lets through. When live records stop, the live
    /// queue moves to the hand-off whole, in O(1); with no spool it is dropped, and
    /// kept aside for the spool loop to find its callers outside the lock.
    mutating func setSending(_ sending: Bool) {
        self.sending = sending
        guard !sending, !live.isEmpty else { return }
        let count = ledger.liveQueued
        let bytes = ledger.liveQueuedBytes
        let moved = swapOutLive()
        if spoolAvailable {
            ledger.liveToHandoff(count, bytes: bytes)
            handoff.append(HandoffQueue.Chunk(records: moved, bytes: bytes))
        } else {
            ledger.liveDropped(count, bytes: bytes, .spoolUnavailable)
            if liveAwaiting > 0 { droppedToScan.append(moved) }
        }
        liveAwaiting = 0
    }

    // MARK: Replay figures

    /// Replayed records handed to librdkafka (`sent`), or reported on (`-settled`).
    mutating func replayInFlight(adding count: Int) {
        ledger.replayInFlight += count
    }

    /// The delivery loop is done: nothing of the replay is in flight any more.
    mutating func replayInFlightCleared() {
        ledger.replayInFlight = 0
    }

    // MARK: Hand-off (spool loop)

    /// Every waiting dead letter, and the oldest chunk of the hand-off, taken in
    /// O(1). They stay counted in the hand-off until the spool answers for them.
    mutating func takeHandoff() -> (ready: HandoffQueue.Chunk?, dead: [DeadLetter]) {
        // Mostly empty: `Array` of an empty deque writes its count into the shared
        // empty-array storage, which ThreadSanitizer reports as a race between threads.
        let dead = deadHandoff.isEmpty ? [] : Array(deadHandoff)
        deadHandoff.removeAll()
        let ready = handoff.popFirstChunk()
        writing.add(dead.count + (ready?.records.count ?? 0), bytes: dead.reduce(0) { $0 + $1.pending.size } + (ready?.bytes ?? 0))
        return (ready, dead)
    }

    /// The spool committed `count` records taken with `takeHandoff`, evicting `evicted`
    /// (older records, or the batch's own oldest), `deadLettered` of them dead letters.
    mutating func handoffWritten(_ count: Int, bytes: Int, evicted: Int, deadLettered: Int) {
        writing.remove(count, bytes: bytes)
        ledger.handoffSpooled(count, bytes: bytes, evicted: evicted)
        ledger.countDeadLettered(deadLettered)
    }

    /// The spool could not keep `count` records taken with `takeHandoff`; of them,
    /// `rescued` are kept by their escrow copies, the rest are dropped for `reason`.
    mutating func handoffFailed(_ count: Int, bytes: Int, rescued: RecordCount, reason: DropReason) {
        writing.remove(count, bytes: bytes)
        ledger.handoffSpooled(rescued.records, bytes: rescued.bytes, evicted: 0)
        ledger.handoffDropped(count - rescued.records, bytes: bytes - rescued.bytes, reason)
    }

    /// Live queues dropped with callers waiting on some of their records.
    mutating func takeDroppedToScan() -> [Deque<PendingRecord>] {
        defer { droppedToScan.removeAll() }
        return droppedToScan
    }

    /// Whether there is anything for the spill writer to write.
    var hasWorkForSpillWriter: Bool { !handoff.isEmpty || !deadHandoff.isEmpty }

    /// Nothing in memory, nor being written, nor left to search.
    var isEmpty: Bool {
        live.isEmpty && handoff.isEmpty && deadHandoff.isEmpty && writing.records == 0 && droppedToScan.isEmpty
    }

    // MARK: The spool

    /// The spool opened with `count` records from an earlier run.
    mutating func spoolOpened(recovered count: Int) {
        ledger.recover(count)
        spoolAvailable = true
    }

    mutating func spoolUnavailable() {
        spoolAvailable = false
    }

    mutating func setSpoolBacklog(_ backlog: Bool) {
        spoolBacklog = backlog
    }

    /// Ready records evicted from the spool to make room for escrow copies.
    mutating func spoolEvicted(_ count: Int) {
        ledger.spoolEvicted(count)
    }

    /// Replayed records Kafka acknowledged, deleted from the spool.
    mutating func spoolDelivered(_ count: Int) {
        ledger.spoolDelivered(count)
    }

    /// Spooled records moved to the dead-letter area (replayed ones Kafka refused).
    mutating func countDeadLettered(_ count: Int) {
        ledger.countDeadLettered(count)
    }

    // MARK: Invariants

    /// The conservation equation, the places agreeing with the ledger, and the
    /// memory bounds. O(1); debug builds only.
    func checkInvariants(_ context: @autoclosure () -> String) {
        assert(ledger.imbalance == 0, "ledger out of balance: \(ledger) \(context())")
        assert(ledger.liveQueued == live.count, "live queue \(live.count) != ledger \(ledger.liveQueued) \(context())")
        assert(
            ledger.handoffQueued == handoff.count + deadHandoff.count + writing.records,
            "hand-off \(handoff.count)+\(deadHandoff.count)+\(writing.records) != ledger \(ledger.handoffQueued) \(context())"
        )
        assert(ledger.queued == ledger.liveQueued + ledger.handoffQueued, "queued is not live + hand-off: \(ledger) \(context())")
        assert(ledger.liveQueued + ledger.inFlight <= queueLimits.maxRecords, "live bound exceeded: \(ledger) \(context())")
        assert(
            ledger.queued + ledger.inFlight <= queueLimits.maxRecords + handoffLimits.maxRecords,
            "memory bound exceeded: \(ledger) \(context())"
        )
        assert(
            ledger.liveQueuedBytes + ledger.inFlightBytes + ledger.handoffBytes <= queueLimits.maxBytes + handoffLimits.maxBytes,
            "memory bytes bound exceeded: \(ledger) \(context())"
        )
        assert(liveAwaiting >= 0 && liveAwaiting <= live.count, "awaited records in the live queue: \(liveAwaiting) of \(live.count) \(context())")
    }
}
