import Foundation
import Logging
import SpillwaySpool

/// Carries out what the circuit breaker decides, on the delivery loop's thread:
/// logs, counts and announces transitions, closes and opens the pipeline's gates
/// (taking back what librdkafka has not sent when live traffic stops), runs
/// probes on a thread of their own, and publishes the breaker for status pages.
/// The decisions themselves are `CircuitBreaker`'s, a pure state machine.
struct BreakerDriver {
    private(set) var breaker: CircuitBreaker
    private let core: PipelineCore
    /// The delivery loop's view of the pipeline state: the driver runs on its thread.
    private let state: DeliveryLoopView
    private var lastPublished: ContinuousClock.Instant
    /// Probes run every second or so while Kafka is down: their failures are
    /// logged at once, then at most every 10 s with a count.
    private var probeFailureLog = RepeatedLog()

    init(core: PipelineCore, now: ContinuousClock.Instant) {
        self.core = core
        state = core.delivery
        breaker = CircuitBreaker(configuration: core.configuration.breaker, seed: UInt64.random(in: 1...UInt64.max))
        lastPublished = now
    }

    /// Opens the pipeline's gates as the breaker stands now, and publishes it.
    mutating func start(at now: ContinuousClock.Instant) {
        state.setBreakerGates(sending: breaker.isSending, replay: breaker.allowsReplay)
        publish(at: now, force: true)
    }

    /// An operator's mode change, a probe's result, and the passing of time.
    mutating func handle(_ commands: DeliveryLoopCommands, at now: ContinuousClock.Instant) {
        if let mode = commands.mode { perform(breaker.setMode(mode, at: now), at: now) }
        if let probe = commands.probe { perform(breaker.probeFinished(succeeded: probe.succeeded, detail: probe.detail, at: now), at: now) }
        perform(breaker.tick(at: now), at: now)
    }

    mutating func permits(_ wanted: Int) -> Int {
        breaker.permits(wanted)
    }

    mutating func returnPermits(_ unused: Int) {
        breaker.returnPermits(unused)
    }

    mutating func record(_ outcome: CallOutcome, at now: ContinuousClock.Instant) {
        perform(breaker.record(outcome, at: now), at: now)
    }

    /// Copies the breaker's figures where status pages read them, ten times a second at most.
    mutating func publish(at now: ContinuousClock.Instant, force: Bool = false) {
        guard force || now - lastPublished >= .milliseconds(100) else { return }
        lastPublished = now
        let snapshot = breaker.snapshot(at: now)
        state.publishBreaker(snapshot)
    }

    // MARK: Actions

    private mutating func perform(_ actions: [BreakerAction], at now: ContinuousClock.Instant) {
        for action in actions {
            switch action {
            case .startProbe:
                startProbe()
            case .transition(let transition):
                apply(transition, at: now)
            case let .probeFailed(detail, nextProbeIn):
                let (logger, breaker) = (core.logger, breaker)
                probeFailureLog.occurred("probe", at: now) { suppressed in
                    logger.warning("circuit breaker stays open: probe failed", metadata: [
                        "detail": "\(detail)", "next_probe_in": "\(nextProbeIn.roundedSeconds)",
                        "failed_probes": "\(breaker.consecutiveProbeFailures)", "similar_since_last_line": "\(suppressed)",
                    ])
                }
                publish(at: now, force: true)
            }
        }
    }

    private mutating func apply(_ transition: BreakerTransition, at now: ContinuousClock.Instant) {
        core.metrics.transition(transition.kind)
        let level: Logger.Level = transition.toState == .open || transition.toMode == .forcedOpen ? .warning : .info
        core.logger.log(level: level, "circuit breaker \(transition.kind)", metadata: [
            "mode": "\(transition.toMode.rawValue)", "state": "\(transition.toState.rawValue)", "reason": "\(transition.reason)",
        ])
        if transition.stopsSending {
            // Take back what librdkafka holds; the purge's reports send it to the spool.
            core.client.purge()
        }
        state.setBreakerGates(sending: breaker.isSending, replay: breaker.allowsReplay)
        core.events.publish(BreakerEvent(transition: transition, date: Date()))
        state.wakeSpoolLoop()
        publish(at: now, force: true)
    }

    /// A metadata request blocks for up to the probe timeout: never on the delivery loop's thread.
    private func startProbe() {
        let (client, state) = (core.client, state)
        let timeout = core.configuration.breaker.probeTimeout
        Thread.detachNewThread {
            switch client.probe(timeout: timeout) {
            case .success(let detail): state.probeFinished(succeeded: true, detail: detail)
            case .failure(let failure): state.probeFinished(succeeded: false, detail: failure.description)
            }
            client.wakeUp()
        }
    }
}
