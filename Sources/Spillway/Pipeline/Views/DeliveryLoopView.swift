import Dispatch
import DequeModule
import NIOConcurrencyHelpers
import SpillwaySpool

/// The delivery loop's view of the pipeline state (thread `spillway-delivery`,
/// with its `BreakerDriver` and the probes it starts): take live and replayed
/// records into flight, give back what librdkafka would not take, settle
/// delivery reports, open and close the breaker's gates, publish what status
/// pages read, and drain at shutdown. Answers decided by a transition are
/// delivered here, once the lock is released; the spool loop is woken when a
/// transition gave it work.
final class DeliveryLoopView: Sendable {
    private let state: NIOLockedValueBox<PipelineState>
    private let spoolWake: DispatchSemaphore

    init(_ state: NIOLockedValueBox<PipelineState>, spoolWake: DispatchSemaphore) {
        self.state = state
        self.spoolWake = spoolWake
    }

    /// Starts a round: commands taken, and callers past their deadline answered.
    func startRound(now: ContinuousClock.Instant) -> DeliveryRound {
        let (round, answers) = state.withLockedValue { ($0.startDeliveryRound(now: now), $0.takeAnswers()) }
        answers.deliver()
        return round
    }

    /// The loop is about to sleep in librdkafka's poll: returns whether nothing
    /// waits to be sent (then the next hand-over wakes it).
    func markIdleIfNothingToSend() -> Bool {
        state.withLockedValue { $0.markIdleIfNothingToSend() }
    }

    func takeLive(_ count: Int) -> [PendingRecord] {
        let (batch, retired) = state.withLockedValue { ($0.takeLive(count), $0.takeRetiredLiveQueue()) }
        // An outgrown queue's megabytes are freed here, with the lock released.
        withExtendedLifetime(retired) {}
        return batch
    }

    func returnToLive(_ records: ArraySlice<PendingRecord>) {
        state.withLockedValue { $0.returnToLive(records) }
    }

    func takeReplay(max: Int) -> [SpooledRecord] {
        state.withLockedValue { $0.takeReplay(max: max) }
    }

    /// How a replay batch went; the spool loop is woken for refused or unsent records.
    func replaySent(taken: Int, sent: Int, deadLetters: [(id: Int64, reason: String)], unsentFrom: Int64?) {
        state.withLockedValue { $0.replaySent(taken: taken, sent: sent, deadLetters: deadLetters, unsentFrom: unsentFrom) }
        if !deadLetters.isEmpty || unsentFrom != nil { spoolWake.signal() }
    }

    func publishReplayControl(rate: Double, phase: ReplayPhase) {
        state.withLockedValue { $0.publishReplayControl(rate: rate, phase: phase) }
    }

    func setKafkaIncompatibility(_ explanation: String?) {
        state.withLockedValue { $0.setKafkaIncompatibility(explanation) }
    }

    /// Applies what delivery reports said, in one step, and answers their callers.
    func settle(_ settlement: Settlement) {
        guard !settlement.isEmpty else { return }
        let answers = state.withLockedValue { state in
            state.settle(settlement)
            return state.takeAnswers()
        }
        answers.deliver()
        if settlement.concernsTheSpool { spoolWake.signal() }
    }

    func setBreakerGates(sending: Bool, replay: Bool) {
        state.withLockedValue { $0.setBreakerGates(sending: sending, replay: replay) }
    }

    func publishBreaker(_ snapshot: BreakerSnapshot) {
        state.withLockedValue { $0.publishBreaker(snapshot) }
    }

    /// A probe's result, from its own thread, for the loop's next round.
    func probeFinished(succeeded: Bool, detail: String) {
        state.withLockedValue { $0.probeFinished(succeeded: succeeded, detail: detail) }
    }

    /// Shutdown: both gates close, the live queue goes to the hand-off, and the spool loop is woken.
    func beginDrain() {
        state.withLockedValue { $0.beginDrain() }
        spoolWake.signal()
    }

    /// The loop is done; what librdkafka never reported on goes to the spool.
    func finish(unreported: Settlement) {
        let answers = state.withLockedValue { state in
            state.deliveryLoopFinished(unreported: unreported)
            return state.takeAnswers()
        }
        answers.deliver()
    }

    /// The spool loop has work the loop just made (the breaker's gates moved, a drain ended).
    func wakeSpoolLoop() {
        spoolWake.signal()
    }
}
