/// The circuit breaker as a pure state machine: it is fed outcomes, clock ticks,
/// probe results and operator commands, and returns actions for its owner to
/// perform outside any lock. No I/O, no clock of its own: unit-testable without Kafka.
///
/// While open it keeps two clocks apart. The *probe cadence* (`probeInterval`,
/// growing to `probeMaxInterval`) decides how soon a recovered cluster is
/// noticed: a metadata request is cheap, so it runs every second or so, however
/// many probes failed before. The *open interval* (`openDuration`, doubling with
/// each failed trial up to `maxOpenDuration`) decides how soon traffic may be
/// tried again after the breaker opened: that is what protects a flapping
/// cluster. Half-open, the first records sent (live ones first, else replayed
/// ones) are the trial; their results close or reopen the breaker.
public struct CircuitBreaker: Sendable {
    public typealias Instant = ContinuousClock.Instant

    public let configuration: CircuitBreakerConfiguration
    public private(set) var mode: BreakerMode = .auto
    /// The state the pipeline acts on: `open` while forced open, `closed` while
    /// forced closed, the automatic breaker's own otherwise.
    public private(set) var state: BreakerState = .closed
    /// Openings since the last successful close: the first, then each failed trial; drives the open interval.
    public private(set) var consecutiveOpenings = 0
    /// Probes failed in a row during this opening; drives the probe cadence, never the open interval.
    public private(set) var consecutiveProbeFailures = 0
    /// When an open breaker next probes the cluster.
    public private(set) var probeDue: Instant?
    public private(set) var probing = false
    /// When the breaker last opened, and how long traffic stays diverted since then.
    public private(set) var openedAt: Instant?
    public private(set) var openInterval: Duration = .zero
    /// Transitions so far, by kind (`closed->open`, …), and the latest one.
    public private(set) var transitionCounts: [String: Int] = [:]
    public private(set) var lastTransition: BreakerTransition?
    /// What the last failed probe found; cleared when a probe succeeds or the breaker closes.
    public private(set) var lastProbeFailure: String?
    /// The last probe found the cluster answering; half-open follows once the open interval is over.
    private var clusterAnswers = false
    private var window: SlidingWindow
    private var trialSlots = 0
    /// Half-open: whether any trial record was let through yet.
    private var trialStarted = false
    private var trialWindow: SlidingWindow
    private var halfOpenSince: Instant?
    private var random: SplitMix64

    public init(configuration: CircuitBreakerConfiguration = .init(), seed: UInt64 = 0x5EED) {
        self.configuration = configuration
        window = SlidingWindow(size: configuration.windowSize)
        trialWindow = SlidingWindow(size: configuration.halfOpenTrialCalls)
        random = SplitMix64(seed: seed)
    }

    /// Whether live records may be handed to Kafka now.
    public var isSending: Bool { BreakerTransition.sends(mode, state) }

    /// Whether replayed records may go to Kafka: whenever live ones may. Half-open,
    /// they share the trial slots, live records first: with no live traffic the
    /// backlog itself is the trial.
    public var allowsReplay: Bool { isSending }

    /// Figures for status pages.
    public var windowCalls: Int { window.count }
    public var failureRate: Double { window.failureRate }
    public var slowRate: Double { window.slowRate }

    // MARK: Inputs

    /// How many records may be sent now, out of `wanted`: all when closed, the
    /// remaining trial slots when half-open, none when open.
    public mutating func permits(_ wanted: Int) -> Int {
        switch (mode, state) {
        case (.forcedOpen, _): return 0
        case (.forcedClosed, _), (.auto, .closed): return wanted
        case (.auto, .open): return 0
        case (.auto, .halfOpen):
            let granted = min(wanted, trialSlots)
            trialSlots -= granted
            if granted > 0 { trialStarted = true }
            return granted
        }
    }

    /// Gives back permits obtained from `permits` but not used (fewer records were waiting).
    public mutating func returnPermits(_ unused: Int) {
        if mode == .auto, state == .halfOpen, unused > 0 {
            trialSlots = min(configuration.halfOpenTrialCalls, trialSlots + unused)
            if trialSlots == configuration.halfOpenTrialCalls, trialWindow.count == 0 { trialStarted = false }
        }
    }

    /// Feeds one delivery outcome.
    public mutating func record(_ outcome: CallOutcome, at now: Instant) -> [BreakerAction] {
        let kind: SlidingWindow.Kind
        switch outcome {
        case .success(let latency): kind = latency >= configuration.slowCallDuration ? .slow : .success
        case .slowInFlight: kind = .slow
        case .failure: kind = .failure
        }
        switch (mode, state) {
        case (.forcedOpen, _), (.auto, .open):
            // Late reports from before the breaker opened say nothing new.
            return []
        case (.forcedClosed, _):
            window.add(kind)
            return []
        case (.auto, .closed):
            window.add(kind)
            guard window.count >= configuration.minimumCalls else { return [] }
            if window.failureRate >= configuration.failureRateThreshold {
                return open(at: now, reason: "failure rate \(percent(window.failureRate)) over the last \(window.count) calls reached \(percent(configuration.failureRateThreshold))\(detail(outcome))")
            }
            if window.slowRate >= configuration.slowCallRateThreshold {
                return open(at: now, reason: "slow-call rate \(percent(window.slowRate)) over the last \(window.count) calls reached \(percent(configuration.slowCallRateThreshold)) (slower than \(configuration.slowCallDuration.roundedSeconds))")
            }
            return []
        case (.auto, .halfOpen):
            trialWindow.add(kind)
            if trialWindow.failureRate >= configuration.failureRateThreshold, trialWindow.failures >= max(1, configuration.halfOpenTrialCalls / 2) {
                // Half the trial failed already: no need to wait for the rest.
                return open(at: now, reason: "half-open trial failed: \(trialWindow.failures) of \(trialWindow.count) failed\(detail(outcome))")
            }
            guard trialWindow.count >= configuration.halfOpenTrialCalls else { return [] }
            if trialWindow.failureRate >= configuration.failureRateThreshold || trialWindow.slowRate >= configuration.slowCallRateThreshold {
                return open(at: now, reason: "half-open trial failed: \(trialWindow.failures) failed and \(trialWindow.slow) slow of \(trialWindow.count)\(detail(outcome))")
            }
            return close(at: now, reason: "half-open trial passed: \(trialWindow.count - trialWindow.failures) of \(trialWindow.count) delivered")
        }
    }

    /// Advances time. Open: probe when due, and go half-open once the cluster
    /// answers and the open interval is over. Half-open with nothing to try
    /// (no record was let through): close on the probe's word.
    public mutating func tick(at now: Instant) -> [BreakerAction] {
        guard mode == .auto else { return [] }
        switch state {
        case .open:
            if clusterAnswers, let openedAt, now >= openedAt + openInterval {
                return halfOpen(at: now, reason: "probe succeeded and the open interval of \(openInterval.roundedSeconds) is over")
            }
            if !probing, let due = probeDue, now >= due {
                probing = true
                return [.startProbe]
            }
        case .halfOpen:
            if !trialStarted, let since = halfOpenSince, now - since >= configuration.halfOpenIdleTimeout {
                return close(at: now, reason: "probe succeeded and there was nothing to try within \(configuration.halfOpenIdleTimeout.roundedSeconds)")
            }
        case .closed:
            break
        }
        return []
    }

    /// Reports the probe started by `.startProbe`.
    public mutating func probeFinished(succeeded: Bool, detail: String, at now: Instant) -> [BreakerAction] {
        guard probing else { return [] }
        probing = false
        guard mode == .auto, state == .open else { return [] }
        if succeeded {
            clusterAnswers = true
            consecutiveProbeFailures = 0
            lastProbeFailure = nil
            if let openedAt, now >= openedAt + openInterval {
                return halfOpen(at: now, reason: "probe succeeded: \(detail)")
            }
            // Traffic waits for the open interval; keep checking the cluster meanwhile.
            probeDue = now + probeCadence()
            return []
        }
        clusterAnswers = false
        consecutiveProbeFailures += 1
        lastProbeFailure = detail
        let next = probeCadence()
        probeDue = now + next
        return [.probeFailed(detail: detail, nextProbeIn: next)]
    }

    /// An operator's command. Forced modes hold until the next command.
    public mutating func setMode(_ newMode: BreakerMode, at now: Instant, reason: String = "operator") -> [BreakerAction] {
        guard newMode != mode else { return [] }
        let from = (mode, state)
        mode = newMode
        probing = false
        switch newMode {
        case .forcedClosed:
            state = .closed
            window.reset()
        case .forcedOpen:
            // The state is the one the pipeline acts on: left as it was (half-open
            // after a probe, say), status pages showed a trial that cannot run.
            state = .open
            trialSlots = 0
            trialStarted = false
            halfOpenSince = nil
            probeDue = nil
        case .auto:
            if from.0 == .forcedOpen {
                // Resume carefully: probe first, then a trial, as after any opening,
                // but with no interval to sit out (the operator decided when).
                state = .open
                consecutiveOpenings = 0
                enterOpen(at: now, interval: .zero)
            } else {
                state = .closed
                window.reset()
            }
        }
        if state == .closed { lastProbeFailure = nil }
        return [transition(BreakerTransition(fromMode: from.0, fromState: from.1, toMode: mode, toState: state, reason: reason))]
    }

    // MARK: Transitions

    private mutating func open(at now: Instant, reason: String) -> [BreakerAction] {
        let fromState = state
        state = .open
        consecutiveOpenings += 1
        enterOpen(at: now, interval: backoffInterval())
        window.reset()
        return [transition(BreakerTransition(
            fromMode: mode, fromState: fromState, toMode: mode, toState: .open,
            reason: "\(reason); traffic is tried again in \(openInterval.roundedSeconds) at the earliest"
        ))]
    }

    private mutating func enterOpen(at now: Instant, interval: Duration) {
        openedAt = now
        openInterval = interval
        clusterAnswers = false
        consecutiveProbeFailures = 0
        probing = false
        // The first probe goes out at once: a cluster that answers metadata but
        // fails the trial is held off by the open interval, not by the probe.
        probeDue = now
        halfOpenSince = nil
    }

    private mutating func halfOpen(at now: Instant, reason: String) -> [BreakerAction] {
        state = .halfOpen
        halfOpenSince = now
        trialSlots = configuration.halfOpenTrialCalls
        trialStarted = false
        trialWindow.reset()
        probeDue = nil
        return [transition(BreakerTransition(fromMode: .auto, fromState: .open, toMode: .auto, toState: .halfOpen, reason: reason))]
    }

    private mutating func close(at now: Instant, reason: String) -> [BreakerAction] {
        let fromState = state
        state = .closed
        consecutiveOpenings = 0
        consecutiveProbeFailures = 0
        probeDue = nil
        openedAt = nil
        openInterval = .zero
        halfOpenSince = nil
        clusterAnswers = false
        window.reset()
        lastProbeFailure = nil
        return [transition(BreakerTransition(fromMode: mode, fromState: fromState, toMode: mode, toState: .closed, reason: reason))]
    }

    /// Counts and remembers a transition, and wraps it as the action its owner performs.
    private mutating func transition(_ transition: BreakerTransition) -> BreakerAction {
        transitionCounts[transition.kind, default: 0] += 1
        lastTransition = transition
        return .transition(transition)
    }

    /// The open interval for the current number of consecutive openings, with backoff, cap and jitter.
    private mutating func backoffInterval() -> Duration {
        var base = configuration.openDuration
        for _ in 0..<min(max(0, consecutiveOpenings - 1), 32) where base < configuration.maxOpenDuration {
            base = base * configuration.backoffMultiplier
        }
        return jittered(min(base, configuration.maxOpenDuration))
    }

    /// The time to the next probe: `probeInterval`, growing by half with each
    /// failed probe up to `probeMaxInterval`, with jitter.
    private mutating func probeCadence() -> Duration {
        var base = configuration.probeInterval
        for _ in 0..<min(consecutiveProbeFailures, 32) where base < configuration.probeMaxInterval {
            base = base * 1.5
        }
        return jittered(min(base, configuration.probeMaxInterval))
    }

    private mutating func jittered(_ interval: Duration) -> Duration {
        guard configuration.jitter > 0 else { return interval }
        return interval * (1 + Double.random(in: -configuration.jitter...configuration.jitter, using: &random))
    }

    // MARK: Observing

    /// The breaker as status pages show it, at `now`.
    public func snapshot(at now: Instant) -> BreakerSnapshot {
        var snapshot = BreakerSnapshot()
        snapshot.mode = mode
        snapshot.state = state
        snapshot.windowCalls = windowCalls
        snapshot.failureRate = failureRate
        snapshot.slowRate = slowRate
        snapshot.consecutiveOpenings = consecutiveOpenings
        snapshot.lastTransition = lastTransition?.kind
        snapshot.lastReason = lastTransition?.reason
        snapshot.lastProbeFailure = lastProbeFailure
        if mode == .auto, state == .open {
            if let due = probeDue { snapshot.nextProbeInSeconds = max(0, (due - now).inSeconds) }
            if let openedAt { snapshot.trafficRetryInSeconds = max(0, (openedAt + openInterval - now).inSeconds) }
        }
        snapshot.transitions = transitionCounts
        return snapshot
    }

    private func percent(_ rate: Double) -> String {
        "\(Int((rate * 100).rounded()))%"
    }

    private func detail(_ outcome: CallOutcome) -> String {
        if case .failure(let reason) = outcome { return " (last error: \(reason))" }
        return ""
    }
}
