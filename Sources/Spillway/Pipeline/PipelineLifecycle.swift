/// The pipeline's life cycle as a state machine: each event returns what its
/// caller must do next, outside the lock, in the style of swift-kafka-client's
/// `KafkaProducer.StateMachine`. An event that makes no sense in the current
/// phase changes nothing.
///
///     starting ──start──► running ──shutdown──► draining ──delivery loop done──► flushing ──spool closed──► stopped
///
/// `SpillwayBuffer.shutdown()` may come before `run()`; it is a signal `run()`
/// waits for, and only `run()` feeds `shutdown` to the machine, once running.
struct PipelineLifecycle: Sendable, Equatable {
    enum Phase: Sendable, Equatable {
        /// Built; `send` accepts into memory, nothing runs yet.
        case starting
        case running
        /// Shutdown began: intake is closed, in-flight records get their deadline.
        case draining
        /// The delivery loop is done; the spool writer writes out what is left.
        case flushing
        case stopped
    }

    enum StartAction: Sendable, Equatable {
        /// Start the delivery loop and the spool loop.
        case startLoops
        /// This pipeline already ran (or was shut down): refuse.
        case refuse
    }

    enum ShutdownAction: Sendable, Equatable {
        /// Wake the delivery loop so it begins to drain.
        case wakeDeliveryLoop
        /// Nothing to do: not running (yet, or any more).
        case none
    }

    private(set) var phase = Phase.starting

    /// Records are taken in while starting (into memory) and running.
    var acceptsRecords: Bool { phase == .starting || phase == .running }

    /// The delivery loop keeps sending until shutdown begins.
    var deliveryLoopRuns: Bool { phase == .starting || phase == .running }

    /// The spool loop stops once the delivery loop has handed everything over.
    var spoolLoopMayFinish: Bool { phase == .flushing || phase == .stopped }

    mutating func start() -> StartAction {
        guard phase == .starting else { return .refuse }
        phase = .running
        return .startLoops
    }

    mutating func shutdown() -> ShutdownAction {
        guard phase == .running else { return .none }
        phase = .draining
        return .wakeDeliveryLoop
    }

    /// The delivery loop drained: everything it held is in the hand-off.
    mutating func deliveryLoopFinished() {
        if phase == .draining { phase = .flushing }
    }

    /// The spool loop wrote out the hand-off and closed the spool.
    mutating func spoolLoopFinished() {
        if phase == .flushing { phase = .stopped }
    }
}
