import Dispatch
import NIOConcurrencyHelpers
import SpillwaySpool

/// The spool loop's view of the pipeline state (thread `spillway-spool`, with
/// its `SpillWriter` and `ReplayReader`): take the hand-off, escrow copies and
/// Kafka's verdicts on replayed records, answer for each spool write, publish the
/// spool's totals, feed the replay outbox, and finish at shutdown. Answers decided
/// by a transition are delivered here, once the lock is released.
final class SpoolLoopView: Sendable {
    private let state: NIOLockedValueBox<PipelineState>
    /// Signalled when the spool loop has work it should not wait for.
    let wake: DispatchSemaphore

    init(_ state: NIOLockedValueBox<PipelineState>, wake: DispatchSemaphore) {
        self.state = state
        self.wake = wake
    }

    // MARK: The loop

    /// The loop is about to sleep: returns whether it may (nothing waits for it).
    func markIdle() -> Bool {
        state.withLockedValue { $0.markSpoolLoopIdle() }
    }

    /// One round's work, under one lock; callers past their deadline are answered.
    func takeWork(now: ContinuousClock.Instant, escrowBatch: Int) -> SpoolLoopWork {
        let (work, answers) = state.withLockedValue { ($0.takeSpoolLoopWork(now: now, escrowBatch: escrowBatch), $0.takeAnswers()) }
        answers.deliver()
        return work
    }

    /// Whether everything is written out and the spool may close.
    var mayFinish: Bool {
        state.withLockedValue { $0.spoolLoopMayFinish }
    }

    /// The spool is closed: any caller left is answered.
    func finished() {
        let answers = state.withLockedValue { state in
            state.spoolLoopFinished()
            return state.takeAnswers()
        }
        answers.deliver()
    }

    func spoolOpened(totals: SpoolTotals, note: String?, clearsError: Bool) {
        state.withLockedValue { $0.spoolOpened(totals: totals, note: note, clearsError: clearsError) }
    }

    func spoolUnavailable(_ error: String) {
        state.withLockedValue { $0.spoolUnavailable(error) }
    }

    /// Callers of records in live queues dropped whole (no spool) are told.
    func droppedAwaitingFound(_ ids: [UInt64]) {
        let answers = state.withLockedValue { state in
            state.droppedAwaitingFound(ids)
            return state.takeAnswers()
        }
        answers.deliver()
    }

    // MARK: Spilling

    func spoolWrote(
        _ count: Int, bytes: Int, evicted: Int, deadLettered: Int, totals: SpoolTotals,
        written: [AwaitedRecord], unwritten: [AwaitedRecord], deadLetterReason: String?
    ) {
        let answers = state.withLockedValue { state in
            state.spoolWrote(
                count, bytes: bytes, evicted: evicted, deadLettered: deadLettered, totals: totals,
                written: written, unwritten: unwritten, deadLetterReason: deadLetterReason
            )
            return state.takeAnswers()
        }
        answers.deliver()
    }

    func spoolFailed(_ count: Int, bytes: Int, reason: DropReason, error: String?, awaited: [AwaitedRecord], deadLetterReason: String?) {
        let answers = state.withLockedValue { state in
            state.spoolFailed(count, bytes: bytes, reason: reason, error: error, awaited: awaited, deadLetterReason: deadLetterReason)
            return state.takeAnswers()
        }
        answers.deliver()
    }

    func escrowWrote(_ written: [UInt64], unwritten: [UInt64], evicted: Int, totals: SpoolTotals) {
        state.withLockedValue { $0.escrowWrote(written, unwritten: unwritten, evicted: evicted, totals: totals) }
    }

    func escrowFailed(_ ids: [UInt64], error: String?) {
        state.withLockedValue { $0.escrowFailed(ids, error: error) }
    }

    func escrowSettled(totals: SpoolTotals) {
        state.withLockedValue { $0.escrowSettled(totals: totals) }
    }

    // MARK: Replay reading

    /// What the replay reader needs to know before it reads: whether replay may
    /// run, what waits or flies already, where to read again from (taken), and the pace.
    struct ReplayReading: Sendable {
        var wanted: Bool
        var outboxCount: Int
        var inFlight: Int
        var rewind: Int64?
        var configuration: ReplayConfiguration
        var rate: Double
    }

    func startReplayReading() -> ReplayReading {
        state.withLockedValue { state in
            ReplayReading(
                wanted: state.replay.wanted, outboxCount: state.replay.outbox.count, inFlight: state.ledger.replayInFlight,
                rewind: state.takeReplayRewind(), configuration: state.replay.configuration, rate: state.replay.rate
            )
        }
    }

    var mayReadReplayFromOldest: Bool {
        state.withLockedValue { $0.mayReadReplayFromOldest }
    }

    func offerReplay(_ records: [SpooledRecord]) {
        state.withLockedValue { $0.offerReplay(records) }
    }

    func spoolMarkedPossiblyPersisted(_ count: Int) {
        state.withLockedValue { $0.spoolMarkedPossiblyPersisted(count) }
    }

    func spoolDeleted(_ count: Int, totals: SpoolTotals) {
        state.withLockedValue { $0.spoolDeleted(count, totals: totals) }
    }

    func spoolQuarantined(_ count: Int, totals: SpoolTotals) {
        state.withLockedValue { $0.spoolQuarantined(count, totals: totals) }
    }

    func spoolMovedToDeadLetters(_ count: Int, totals: SpoolTotals) {
        state.withLockedValue { $0.spoolMovedToDeadLetters(count, totals: totals) }
    }
}
