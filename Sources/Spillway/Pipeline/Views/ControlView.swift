import Dispatch
import NIOConcurrencyHelpers

/// The operator's and the life cycle's view of the pipeline state: start and
/// shut down, force the breaker, pause, resume and pace replay. Each is a command
/// for a loop to carry out; the view wakes the loop that does.
final class ControlView: Sendable {
    private let state: NIOLockedValueBox<PipelineState>
    private let client: RDKafkaClient
    private let spoolWake: DispatchSemaphore

    init(_ state: NIOLockedValueBox<PipelineState>, client: RDKafkaClient, spoolWake: DispatchSemaphore) {
        self.state = state
        self.client = client
        self.spoolWake = spoolWake
    }

    func start() -> PipelineLifecycle.StartAction {
        state.withLockedValue { $0.start() }
    }

    /// Intake closes; the delivery loop is woken to drain.
    func shutdown() {
        if state.withLockedValue({ $0.shutdown() }) == .wakeDeliveryLoop { client.wakeUp() }
    }

    /// The delivery loop carries the mode out at its next round, at once.
    func setBreakerMode(_ mode: BreakerMode) {
        state.withLockedValue { $0.requestBreakerMode(mode) }
        client.wakeUp()
    }

    /// Answers the callers whose deadline has passed as of `instant`, as the loops
    /// do each round with the clock's time: lets a test put a deadline after an
    /// event it awaited instead of racing the timer against the disk.
    func expireAckWaiters(asOf instant: ContinuousClock.Instant) {
        let answers = state.withLockedValue { state in
            state.expireAckWaiters(now: instant)
            return state.takeAnswers()
        }
        answers.deliver()
    }

    func pauseReplay() {
        state.withLockedValue { $0.pauseReplay() }
    }

    func resumeReplay() {
        state.withLockedValue { $0.resumeReplay() }
        spoolWake.signal()
    }

    /// Changes the replay's configuration: read, changed, checked and set under one
    /// lock, so two operators' changes never mix. Returns why it was refused, if it was.
    func changeReplayConfiguration(_ change: (inout ReplayConfiguration) -> Void) -> SpillwayConfigurationError? {
        state.withLockedValue { state -> SpillwayConfigurationError? in
            var replay = state.replay.configuration
            change(&replay)
            do throws(SpillwayConfigurationError) {
                try replay.validate()
            } catch {
                return error
            }
            state.setReplayConfiguration(replay)
            return nil
        }
    }
}
