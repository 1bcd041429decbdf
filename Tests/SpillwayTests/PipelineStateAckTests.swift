@testable import Spillway
import SpillwaySpool
import Synchronization
import Testing

/// The pipeline state's acknowledgement transitions, one at a time, with time
/// passed in: where each level's record goes, and when and how its caller is answered.
@Suite struct PipelineStateAckTests {
    static let start = ContinuousClock.now

    static func state(queue: Int = 10, handoff: Int = 10, pending: Int = 100, timeout: Duration = .seconds(1)) -> PipelineState {
        var state = PipelineState(
            queueLimits: QueueLimits(maxRecords: queue, maxBytes: 1 << 20),
            handoffLimits: QueueLimits(maxRecords: handoff, maxBytes: 1 << 20),
            replay: ReplayConfiguration(),
            divertWhileBacklog: false,
            ack: AckConfiguration(timeout: timeout, maxPendingRecords: pending, maxPendingBytes: 1 << 20)
        )
        _ = state.start()
        state.spoolOpened(totals: SpoolTotals(), note: nil, clearsError: false)
        state.setBreakerGates(sending: true, replay: true)
        return state
    }

    static func record(_ id: Int) -> Record {
        Record(topic: "t", value: Array("id-\(id)".utf8), timestamp: 0)
    }

    static func committed(_ reason: AckReason? = nil) -> Acknowledgement {
        Acknowledgement(disposition: .spooled, reached: .spool, reason: reason)
    }

    /// Accepts a record a caller waits for at `level`, named `name` in `log`.
    @discardableResult
    static func accept(_ state: inout PipelineState, _ name: String, _ level: AckLevel, log: AnswerLog, at offset: Duration = .zero) -> Acknowledgement? {
        let acceptance = state.accept(record(name.hashValue & 0xFFFF), size: 10, awaiting: AckRequest(level: level, recipient: log.recipient(name), now: start + offset))
        state.takeAnswers().deliver()
        return acceptance.answer
    }

    /// Writes the escrow copies queued so far, all committed.
    static func commitEscrow(_ state: inout PipelineState) -> [UInt64] {
        let copies = state.takeEscrow(max: 100).map(\.id)
        state.escrowWrote(copies, unwritten: [], evicted: 0, totals: SpoolTotals())
        return copies
    }

    /// Writes the hand-off's oldest chunk, every record committed.
    static func writeHandoff(_ state: inout PipelineState) {
        let (ready, _) = state.takeHandoff()
        guard let ready else { return }
        let awaited = ready.records.filter { $0.ack != .memory }.map { AwaitedRecord(id: $0.id, size: $0.size, level: $0.ack) }
        state.spoolWrote(ready.records.count, bytes: ready.bytes, evicted: 0, totals: SpoolTotals(), written: awaited)
        state.takeAnswers().deliver()
    }

    @Test func spoolLevelIsWrittenAheadAndAnsweredOnlyOnceCommitted() {
        var state = Self.state()
        let log = AnswerLog()
        #expect(Self.accept(&state, "s", .spool, log: log) == nil, "the caller waits")
        #expect(state.ledger.handoffQueued == 1 && state.ledger.liveQueued == 0, "to the spool although the breaker is sending")
        let (ready, _) = state.takeHandoff()
        #expect(ready?.records.first?.ack == .spool)
        #expect(log.answers.isEmpty, "not answered while being written")
        let awaited = AwaitedRecord(id: ready!.records[0].id, size: 10, level: .spool)
        state.spoolWrote(1, bytes: 10, evicted: 0, totals: SpoolTotals(), written: [awaited])
        state.takeAnswers().deliver()
        #expect(log.answers == ["s": Self.committed()])
        #expect(state.book.figures.pendingRecords == 0)
        #expect(state.book.figures.accepted(.spool) == 1)
        #expect(state.ledger.spooled == 1 && state.ledger.imbalance == 0)
    }

    @Test func kafkaLevelIsAnsweredWithKafkasPartitionAndOffsetAndItsCopyReleased() {
        var state = Self.state()
        let log = AnswerLog()
        Self.accept(&state, "k", .kafka, log: log)
        #expect(state.ledger.liveQueued == 1, "sent live")
        #expect(state.book.escrow.queuedCount == 1, "with an escrow copy on its way to the spool")
        let copies = Self.commitEscrow(&state)
        let batch = state.takeLive(10)
        var settlement = Settlement()
        settlement.add(ReportVerdict(move: .delivered(batch[0], partition: 3, offset: 42)))
        state.settle(settlement)
        state.takeAnswers().deliver()
        #expect(log.answers == ["k": Acknowledgement(disposition: .delivered, reached: .kafka, partition: 3, offset: 42)])
        #expect(state.takeEscrowBookkeeping().releases == copies.map { Int64($0) }, "the copy is deleted")
        #expect(state.ledger.delivered == 1 && state.ledger.imbalance == 0)
    }

    /// Kafka answers before the copy is due: the copy is never written, and the
    /// spool loop is neither woken for it nor kept awake by it.
    @Test func aKafkaRecordDeliveredBeforeItsCopyIsDueNeverTouchesTheDisk() {
        var state = Self.state(timeout: .seconds(2))
        let log = AnswerLog()
        let acceptance = state.accept(Self.record(1), size: 10, awaiting: AckRequest(level: .kafka, recipient: log.recipient("k"), now: Self.start))
        #expect(!acceptance.wakeSpool, "a copy due later does not wake the spool loop")
        let idleBeforeDue = state.markSpoolLoopIdle(now: Self.start + .milliseconds(10))
        #expect(idleBeforeDue, "nothing is due: the spool loop may sleep")
        let workBeforeDue = state.takeSpoolLoopWork(now: Self.start + .milliseconds(10), escrowBatch: 100)
        #expect(workBeforeDue.escrow.isEmpty)
        let batch = state.takeLive(10)
        var settlement = Settlement()
        settlement.add(ReportVerdict(move: .delivered(batch[0], partition: 0, offset: 7)))
        state.settle(settlement)
        state.takeAnswers().deliver()
        #expect(log.answers == ["k": Acknowledgement(disposition: .delivered, reached: .kafka, partition: 0, offset: 7)])
        // Long past the default delay (a quarter of the 2 s timeout): nothing to write, nothing to delete.
        let later = Self.start + .seconds(5)
        let idleLater = state.markSpoolLoopIdle(now: later)
        #expect(idleLater)
        let work = state.takeSpoolLoopWork(now: later, escrowBatch: 100)
        #expect(work.escrow.isEmpty && work.escrowBookkeeping.isEmpty)
        #expect(state.book.escrow.count == 0 && state.book.escrow.queuedCount == 0)
        #expect(state.ledger.delivered == 1 && state.ledger.imbalance == 0)
    }

    /// A record Kafka is slow to answer stays waiting while later ones are
    /// delivered: their copies, released unwritten, leave room for new callers
    /// (counted against the bound, they would be answered `ack_capacity`).
    @Test func copiesReleasedBehindASlowRecordLeaveRoomForNewCallers() {
        var state = Self.state(pending: 3, timeout: .seconds(2))
        let log = AnswerLog()
        Self.accept(&state, "slow", .kafka, log: log)
        _ = state.takeLive(10)
        for round in 0..<10 {
            let answer = Self.accept(&state, "k\(round)", .kafka, log: log, at: .milliseconds(round))
            #expect(answer == nil, "k\(round) waits for Kafka: \(String(describing: answer))")
            let batch = state.takeLive(10)
            var settlement = Settlement()
            settlement.add(ReportVerdict(move: .delivered(batch[0], partition: 0, offset: Int64(round))))
            state.settle(settlement)
            state.takeAnswers().deliver()
        }
        #expect(state.book.figures.answered(.kafka, reason: .capacity) == 0)
        #expect(state.book.escrow.waitingCount == 1, "only the slow record's copy is still needed")
    }

    /// Kafka has not answered when the copy falls due: the spool loop takes it
    /// then, not before.
    @Test func aKafkaRecordStillWaitingWhenItsCopyIsDueIsCopied() {
        var state = Self.state(timeout: .seconds(2))
        let log = AnswerLog()
        Self.accept(&state, "k", .kafka, log: log)
        _ = state.takeLive(10)
        let early = state.takeSpoolLoopWork(now: Self.start + .milliseconds(499), escrowBatch: 100)
        #expect(early.escrow.isEmpty)
        let idleWhenDue = state.markSpoolLoopIdle(now: Self.start + .milliseconds(500))
        #expect(!idleWhenDue, "due: the spool loop has work")
        let due = state.takeSpoolLoopWork(now: Self.start + .milliseconds(500), escrowBatch: 100)
        #expect(due.escrow.count == 1)
        #expect(log.answers.isEmpty)
    }

    /// A failed delivery with the escrow copy on disk: the copy becomes the spool's
    /// record; no second copy goes to the hand-off, and the caller is answered now.
    @Test func aFailedKafkaRecordWithItsCopyOnDiskIsSpooledThroughTheCopy() {
        var state = Self.state()
        let log = AnswerLog()
        Self.accept(&state, "k", .kafka, log: log)
        let copies = Self.commitEscrow(&state)
        var pending = state.takeLive(10)[0]
        pending.record.possiblyPersisted = true
        var settlement = Settlement()
        settlement.add(ReportVerdict(move: .spill(pending), outcome: .failure(reason: "timed out")))
        state.settle(settlement)
        state.takeAnswers().deliver()
        #expect(state.ledger.handoffQueued == 0 && state.ledger.inFlight == 0)
        #expect(state.ledger.spooled == 1 && state.ledger.spilled == 1 && state.ledger.possiblyPersisted == 1)
        let bookkeeping = state.takeEscrowBookkeeping()
        #expect(bookkeeping.toReady.map(\.key) == copies.map { Int64($0) })
        #expect(bookkeeping.toReady.map(\.possiblyPersisted) == [true])
        #expect(log.answers == ["k": Self.committed(.kafkaUnavailable)])
        #expect(state.ledger.imbalance == 0)
    }

    /// A refusal about the record itself, copy on disk: the copy becomes a dead letter.
    @Test func aRefusedKafkaRecordWithItsCopyOnDiskBecomesADeadLetter() {
        var state = Self.state()
        let log = AnswerLog()
        Self.accept(&state, "k", .kafka, log: log)
        _ = Self.commitEscrow(&state)
        var settlement = Settlement()
        settlement.add(ReportVerdict(move: .deadLetter(state.takeLive(10)[0], reason: "MSG_SIZE_TOO_LARGE")))
        state.settle(settlement)
        state.takeAnswers().deliver()
        #expect(state.takeEscrowBookkeeping().toDeadLetters.map(\.reason) == ["MSG_SIZE_TOO_LARGE"])
        #expect(state.ledger.spooled == 1 && state.ledger.deadLettered == 1)
        #expect(log.answers == ["k": Self.committed(.deadLetter)])
    }

    /// A failure before the copy was written: the record spills like any live one,
    /// the copy is never written, and the caller is answered once the spill commits.
    @Test func aKafkaRecordFailingBeforeItsCopyIsWrittenSpillsAndIsAnsweredWhenWritten() {
        var state = Self.state()
        let log = AnswerLog()
        Self.accept(&state, "k", .kafka, log: log)
        var settlement = Settlement()
        settlement.add(ReportVerdict(move: .spill(state.takeLive(10)[0])))
        state.settle(settlement)
        state.takeAnswers().deliver()
        #expect(state.ledger.handoffQueued == 1)
        #expect(log.answers.isEmpty)
        #expect(state.takeEscrow(max: 10).isEmpty, "the copy is no longer needed")
        Self.writeHandoff(&state)
        #expect(log.answers == ["k": Self.committed(.kafkaUnavailable)])
        #expect(state.book.escrow.count == 0 && state.ledger.imbalance == 0)
    }

    /// When Kafka is not sending, a `kafka` record goes to the spool like a `spool` one.
    @Test func aKafkaRecordThatCannotGoLiveIsAnsweredOnceSpooled() {
        var state = Self.state()
        state.setBreakerGates(sending: false, replay: false)
        let log = AnswerLog()
        Self.accept(&state, "k", .kafka, log: log)
        #expect(state.ledger.handoffQueued == 1 && state.book.escrow.queuedCount == 0)
        Self.writeHandoff(&state)
        #expect(log.answers == ["k": Self.committed(.kafkaUnavailable)])
    }

    /// At the deadline each caller learns what its record has reached.
    @Test func deadlinesAnswerWithWhatTheRecordHasReached() {
        var state = Self.state(timeout: .seconds(1))
        let log = AnswerLog()
        Self.accept(&state, "copy on disk", .kafka, log: log)
        _ = Self.commitEscrow(&state)
        Self.accept(&state, "copy not written", .kafka, log: log)
        Self.accept(&state, "spool", .spool, log: log, at: .milliseconds(500))
        state.expireAckWaiters(now: Self.start + .milliseconds(999))
        state.takeAnswers().deliver()
        #expect(log.answers.isEmpty)
        state.expireAckWaiters(now: Self.start + .seconds(1))
        state.takeAnswers().deliver()
        #expect(log.answers == [
            "copy on disk": Self.committed(.timeout),
            "copy not written": Acknowledgement(disposition: .queued, reached: .memory, reason: .timeout),
        ])
        state.expireAckWaiters(now: Self.start + .seconds(2))
        state.takeAnswers().deliver()
        #expect(log.answers["spool"] == Acknowledgement(disposition: .spooled, reached: .memory, reason: .timeout))
        // The records go on: the one Kafka acknowledges later has no caller left to tell.
        var settlement = Settlement()
        for pending in state.takeLive(10) { settlement.add(ReportVerdict(move: .delivered(pending, partition: 0, offset: 1))) }
        state.settle(settlement)
        #expect(state.takeAnswers().isEmpty)
        #expect(state.ledger.delivered == 2)
        #expect(state.book.figures.answered(.kafka, reason: .timeout) == 2)
    }

    /// Past the waiting bound a request is answered at once, as at `memory`.
    @Test func pastTheWaitingBoundTheAnswerComesAtOnce() {
        var state = Self.state(pending: 2)
        let log = AnswerLog()
        #expect(Self.accept(&state, "a", .spool, log: log) == nil)
        #expect(Self.accept(&state, "b", .kafka, log: log) == nil)
        #expect(Self.accept(&state, "c", .kafka, log: log) == Acknowledgement(disposition: .queued, reached: .memory, reason: .capacity))
        #expect(state.book.escrow.queuedCount == 1, "no copy for a record nobody waits on")
        #expect(state.book.figures.pendingRecords == 2)
        #expect(state.book.figures.accepted(.kafka) == 2)
        #expect(state.book.figures.answered(.kafka, reason: .capacity) == 1)
        #expect(state.ledger.accepted == 3)
    }

    /// Memory pressure drops the hand-off's oldest: a caller waiting on one is told,
    /// unless its escrow copy is on disk, which then becomes its spool record.
    @Test func droppingTheHandoffsOldestAnswersItsCallersOrKeepsTheirCopies() {
        var state = Self.state(queue: 2, handoff: 1)
        let log = AnswerLog()
        Self.accept(&state, "kafka", .kafka, log: log)
        _ = Self.commitEscrow(&state)
        state.setBreakerGates(sending: false, replay: false)
        #expect(state.ledger.handoffQueued == 1, "the live queue moved to the hand-off")
        Self.accept(&state, "spool", .spool, log: log)
        for id in 0..<3 { _ = state.accept(Self.record(id), size: 10) }
        state.takeAnswers().deliver()
        #expect(log.answers == ["kafka": Self.committed(.kafkaUnavailable), "spool": Acknowledgement(disposition: .dropped(.memoryFull), reached: nil)])
        #expect(state.takeEscrowBookkeeping().toReady.count == 1)
        #expect(state.ledger.spooled == 1 && state.ledger.dropped(.memoryFull) == 1)
        #expect(state.ledger.imbalance == 0)
    }

    @Test func aFailedSpoolWriteAnswersDroppedAndAnEvictedOneToo() {
        var state = Self.state()
        let log = AnswerLog()
        Self.accept(&state, "failed", .spool, log: log)
        let (first, _) = state.takeHandoff()
        state.spoolFailed(1, bytes: 10, reason: .spoolFailed, error: "disk", awaited: [AwaitedRecord(id: first!.records[0].id, size: 10, level: .spool)])
        Self.accept(&state, "evicted", .spool, log: log)
        let (second, _) = state.takeHandoff()
        state.spoolWrote(1, bytes: 10, evicted: 1, totals: SpoolTotals(), unwritten: [AwaitedRecord(id: second!.records[0].id, size: 10, level: .spool)])
        state.takeAnswers().deliver()
        #expect(log.answers == [
            "failed": Acknowledgement(disposition: .dropped(.spoolFailed), reached: nil),
            "evicted": Acknowledgement(disposition: .dropped(.spoolEvicted), reached: nil),
        ])
        #expect(state.ledger.imbalance == 0)
    }

    @Test func afterShutdownTheAnswerIsDroppedAtOnce() {
        var state = Self.state()
        _ = state.shutdown()
        let log = AnswerLog()
        #expect(Self.accept(&state, "late", .kafka, log: log) == Acknowledgement(disposition: .dropped(.shuttingDown), reached: nil))
        #expect(state.ledger.dropped(.shuttingDown) == 1)
    }
}

/// Answers delivered to callback recipients, by the name each was given.
final class AnswerLog: Sendable {
    private let recorded = Mutex<[String: Acknowledgement]>([:])
    private let duplicates = Mutex(0)

    func recipient(_ name: String) -> AckRecipient {
        .callback { acknowledgement in
            self.recorded.withLock { answers in
                if answers.updateValue(acknowledgement, forKey: name) != nil { self.duplicates.withLock { $0 += 1 } }
            }
        }
    }

    var answers: [String: Acknowledgement] {
        #expect(duplicates.withLock { $0 } == 0, "a caller was answered twice")
        return recorded.withLock { $0 }
    }
}
