/// The circuit breaker as a pure state machine: it is fed outcomes, clock ticks,
/// probe results and operator commands, and returns actions for its owner to
/// perform outside any lock. No I/O, no clock of its own: unit-testable without Kafka.
public struct CircuitBreaker: Sendable {
    public typealias Instant = ContinuousClock.Instant

    public let configuration: CircuitBreakerConfiguration
    public private(set) var mode: BreakerMode = .auto
    public private(set) var state: BreakerState = .closed
    /// Consecutive openings without a successful close; drives the backoff.
    public private(set) var consecutiveOpenings = 0
    /// When an open breaker next probes the cluster.
    public private(set) var probeDue: Instant?
    public private(set) var probing = false
    /// Transitions so far, by kind (`closed->open`, …), and the latest one.
    public private(set) var transitionCounts: [String: Int] = [:]
    public private(set) var lastTransition: BreakerTransition?
    /// What the last failed probe found; cleared when the breaker closes.
    public private(set) var lastProbeFailure: String?
    private var window: SlidingWindow
    private var trialSlots = 0
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

    /// Whether `permits` would grant anything now, without using a trial slot.
    public var hasPermits: Bool {
        switch (mode, state) {
        case (.forcedOpen, _), (.auto, .open): false
        case (.forcedClosed, _), (.auto, .closed): true
        case (.auto, .halfOpen): trialSlots > 0
        }
    }

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
            return granted
        }
    }

    /// Gives back permits obtained from `permits` but not used (fewer records were waiting).
    public mutating func returnPermits(_ unused: Int) {
        if mode == .auto, state == .halfOpen, unused > 0 {
            trialSlots = min(configuration.halfOpenTrialCalls, trialSlots + unused)
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
                return open(at: now, reason: "slow-call rate \(percent(window.slowRate)) over the last \(window.count) calls reached \(percent(configuration.slowCallRateThreshold)) (slower than \(configuration.slowCallDuration))")
            }
            return []
        case (.auto, .halfOpen):
            trialWindow.add(kind)
            guard trialWindow.count >= configuration.halfOpenTrialCalls else { return [] }
            if trialWindow.failureRate >= configuration.failureRateThreshold || trialWindow.slowRate >= configuration.slowCallRateThreshold {
                return open(at: now, reason: "half-open trial failed: \(trialWindow.failures) failed and \(trialWindow.slow) slow of \(trialWindow.count)\(detail(outcome))")
            }
            return close(at: now, reason: "half-open trial passed: \(trialWindow.count - trialWindow.failures) of \(trialWindow.count) delivered")
        }
    }

    /// Advances time: an open breaker probes when its interval is over; a half-open
    /// one with no trial traffic closes on the strength of its probe.
    public mutating func tick(at now: Instant) -> [BreakerAction] {
        guard mode == .auto else { return [] }
        switch state {
        case .open:
            if !probing, let due = probeDue, now >= due {
                probing = true
                return [.startProbe]
            }
        case .halfOpen:
            if trialWindow.count == 0, let since = halfOpenSince, now - since >= configuration.halfOpenIdleTimeout {
                return close(at: now, reason: "probe succeeded and no trial traffic arrived within \(configuration.halfOpenIdleTimeout)")
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
            state = .halfOpen
            halfOpenSince = now
            trialSlots = configuration.halfOpenTrialCalls
            trialWindow.reset()
            return [transition(BreakerTransition(fromMode: .auto, fromState: .open, toMode: .auto, toState: .halfOpen, reason: "probe succeeded: \(detail)"))]
        }
        consecutiveOpenings += 1
        let interval = openInterval()
        probeDue = now + interval
        lastProbeFailure = detail
        return [.probeFailed(detail: detail, nextProbeIn: interval)]
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
            break
        case .auto:
            if from.0 == .forcedOpen {
                // Resume carefully: probe first, as after any opening.
                state = .open
                consecutiveOpenings = 0
                probeDue = now
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
        let interval = openInterval()
        probeDue = now + interval
        probing = false
        window.reset()
        return [transition(BreakerTransition(fromMode: mode, fromState: fromState, toMode: mode, toState: .open, reason: "\(reason); next probe in \(interval.roundedSeconds)"))]
    }

    private mutating func close(at now: Instant, reason: String) -> [BreakerAction] {
        let fromState = state
        state = .closed
        consecutiveOpenings = 0
        probeDue = nil
        halfOpenSince = nil
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
    private mutating func openInterval() -> Duration {
        var base = configuration.openDuration
        for _ in 0..<min(max(0, consecutiveOpenings - 1), 32) where base < configuration.maxOpenDuration {
            base = base * configuration.backoffMultiplier
        }
        let capped = min(base, configuration.maxOpenDuration)
        guard configuration.jitter > 0 else { return capped }
        let spread = Double.random(in: -configuration.jitter...configuration.jitter, using: &random)
        return capped * (1 + spread)
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
        if mode == .auto, state == .open, let due = probeDue {
            snapshot.nextProbeInSeconds = max(0, (due - now).inSeconds)
        }
        snapshot.transitions = transitionCounts
        return snapshot
    }

    /// Whether replayed records may go to Kafka: closed, or forced closed; not
    /// while half-open, whose few trial slots belong to live traffic.
    public var allowsReplay: Bool {
        mode == .forcedClosed || (mode == .auto && state == .closed)
    }

    private func percent(_ rate: Double) -> String {
        "\(Int((rate * 100).rounded()))%"
    }

    private func detail(_ outcome: CallOutcome) -> String {
        if case .failure(let reason) = outcome { return " (last error: \(reason))" }
        return ""
    }
}
