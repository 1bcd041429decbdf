import DequeModule
import SpillwaySpool

/// The escrow copies of records sent live at acknowledgement level `kafka`: which
/// wait to be written, which are being written, which are committed, and what the
/// spool loop must do with committed ones (release them once Kafka acknowledged
/// the record, or settle them into the spool when the delivery failed). Pure, and
/// O(1) per record: copies are found by intake id.
///
/// A queued copy is due a while after its record was taken
/// (`AckConfiguration.escrowDelay`): most records are answered by Kafka before,
/// and their copies are dropped unwritten.
///
///     queued ──take (due)──► writing ──wrote──► committed ──settle──► (a spool record)
///        │                      │  └──failed──► unwritten        └──release──► (deleted)
///        └── release: dropped unwritten; a copy released while being written is deleted once committed
struct EscrowBook: Sendable {
    enum Phase: Sendable, Equatable {
        case queued
        case writing
        case committed
        /// The write failed (or found no room): there is no copy; the record is only live.
        case unwritten
    }

    private struct Entry: Sendable {
        var phase: Phase
        /// Nobody needs the copy any more (Kafka acknowledged the record, or it went
        /// to the spool another way): delete it once written, or skip writing it.
        var released = false
        /// The record's size, counted in `waitingBytes` while the copy waits unreleased.
        var size = 0
    }

    /// What the spool loop carries out for committed copies.
    struct Bookkeeping: Sendable {
        /// Delete: Kafka acknowledged the record, or the spool holds it another way.
        var releases: [Int64] = []
        /// Turn into ready records (the delivery failed), marked possibly persisted where said.
        var toReady: [(key: Int64, possiblyPersisted: Bool)] = []
        /// Turn into dead letters (Kafka refused the record), by reason.
        var toDeadLetters: [(key: Int64, possiblyPersisted: Bool, reason: String)] = []

        var isEmpty: Bool { releases.isEmpty && toReady.isEmpty && toDeadLetters.isEmpty }
    }

    /// A copy waiting to be written, and from when it should be.
    private struct Queued: Sendable {
        var pending: PendingRecord
        var due: ContinuousClock.Instant
    }

    private var entries: [UInt64: Entry] = [:]
    /// Copies to write, oldest (and so first due) first; released ones leave from
    /// the front at once, from further back when they reach it.
    private var queue = Deque<Queued>()
    private(set) var queuedBytes = 0
    private(set) var writingCount = 0
    private var bookkeeping = Bookkeeping()
    /// Copies in the queue nobody needs any more, waiting to reach its front.
    private var releasedInQueue = 0
    /// Copies still needed and not yet taken: what the waiting bounds count
    /// (released ones behind a slow record must not refuse new callers).
    private(set) var waitingCount = 0
    private(set) var waitingBytes = 0

    /// Copies in the queue (released ones included: they hold memory until they leave).
    var queuedCount: Int { queue.count }
    /// Records with a copy in any phase.
    var count: Int { entries.count }
    /// Nothing to write, being written, or to carry out.
    var isIdle: Bool { queue.isEmpty && writingCount == 0 && bookkeeping.isEmpty }

    func phase(of id: UInt64) -> Phase? {
        entries[id]?.phase
    }

    func isCommitted(_ id: UInt64) -> Bool {
        entries[id]?.phase == .committed
    }

    /// A copy of a record about to go live, to be written from `due` (`nil`: at once).
    /// Copies are enqueued in the order they fall due.
    mutating func enqueue(_ pending: PendingRecord, due: ContinuousClock.Instant? = nil) {
        entries[pending.id] = Entry(phase: .queued, size: pending.size)
        queue.append(Queued(pending: pending, due: due ?? .now))
        queuedBytes += pending.size
        waitingCount += 1
        waitingBytes += pending.size
    }

    /// Up to `max` copies for the spool writer, oldest first: those due by `now`
    /// (`nil`: every one). Released ones are dropped here.
    mutating func take(max: Int, dueBy now: ContinuousClock.Instant? = nil) -> [PendingRecord] {
        var batch: [PendingRecord] = []
        while batch.count < max, let head = queue.first {
            let released = entries[head.pending.id]?.released ?? true
            if !released, let now, head.due > now { break }
            queue.removeFirst()
            queuedBytes -= head.pending.size
            guard !released else {
                entries[head.pending.id] = nil
                releasedInQueue -= 1
                continue
            }
            waitingCount -= 1
            waitingBytes -= head.pending.size
            entries[head.pending.id]?.phase = .writing
            batch.append(head.pending)
        }
        writingCount += batch.count
        return batch
    }

    /// Whether a copy is due by `now` (the spool loop has work); drops released ones at the front.
    mutating func hasCopyDue(by now: ContinuousClock.Instant) -> Bool {
        dropReleasedAtFront()
        return queue.first.map { $0.due <= now } ?? false
    }

    /// Released copies at the front of the queue leave it: Kafka answers records
    /// in about the order they were taken, so the queue holds little more than
    /// the copies still needed.
    private mutating func dropReleasedAtFront() {
        while let head = queue.first, entries[head.pending.id]?.released ?? true {
            queue.removeFirst()
            queuedBytes -= head.pending.size
            entries[head.pending.id] = nil
            releasedInQueue -= 1
        }
    }

    /// Leaves only the copies still needed in the queue, once released ones
    /// outnumber them (a slow record at the front holds the rest back): memory
    /// stays within about twice the copies needed, at O(1) amortised per release.
    private mutating func dropReleasedWhenMostly() {
        guard releasedInQueue > waitingCount + 1024 else { return }
        var kept = Deque<Queued>()
        kept.reserveCapacity(waitingCount)
        for queued in queue {
            if entries[queued.pending.id]?.released ?? true {
                queuedBytes -= queued.pending.size
                entries[queued.pending.id] = nil
            } else {
                kept.append(queued)
            }
        }
        queue = kept
        releasedInQueue = 0
    }

    /// The spool committed the copies of `ids`.
    mutating func wrote(_ ids: some Sequence<UInt64>) {
        for id in ids {
            writingCount -= 1
            guard let entry = entries[id] else { continue }
            if entry.released {
                entries[id] = nil
                bookkeeping.releases.append(Int64(bitPattern: id))
            } else {
                entries[id]?.phase = .committed
            }
        }
    }

    /// The spool did not write the copies of `ids` (an error, or no room).
    mutating func failed(_ ids: some Sequence<UInt64>) {
        for id in ids {
            writingCount -= 1
            guard let entry = entries[id] else { continue }
            if entry.released {
                entries[id] = nil
            } else {
                entries[id]?.phase = .unwritten
            }
        }
    }

    /// Nobody needs the copy of `id` any more.
    mutating func release(_ id: UInt64) {
        guard let entry = entries[id] else { return }
        switch entry.phase {
        case .queued:
            entries[id]?.released = true
            waitingCount -= 1
            waitingBytes -= entry.size
            releasedInQueue += 1
            dropReleasedAtFront()
            dropReleasedWhenMostly()
        case .writing:
            entries[id]?.released = true
        case .committed:
            entries[id] = nil
            bookkeeping.releases.append(Int64(bitPattern: id))
        case .unwritten:
            entries[id] = nil
        }
    }

    /// The committed copy of `id` becomes the spool's record of it: ready (the
    /// delivery failed) or a dead letter (Kafka refused it, `deadLetterReason`).
    mutating func settle(_ id: UInt64, possiblyPersisted: Bool, deadLetterReason: String? = nil) {
        precondition(isCommitted(id), "only a committed escrow copy can be settled")
        entries[id] = nil
        let key = Int64(bitPattern: id)
        if let deadLetterReason {
            bookkeeping.toDeadLetters.append((key, possiblyPersisted, deadLetterReason))
        } else {
            bookkeeping.toReady.append((key, possiblyPersisted))
        }
    }

    /// What the spool loop will be given next, without taking it: for tests.
    var pendingBookkeeping: Bookkeeping { bookkeeping }

    /// What the spool loop must carry out, taken and cleared at once.
    mutating func takeBookkeeping() -> Bookkeeping {
        defer { bookkeeping = Bookkeeping() }
        return bookkeeping
    }
}
