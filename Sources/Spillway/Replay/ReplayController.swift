/// Decides how fast the backlog replays, the way TCP finds a link's capacity:
/// it doubles the rate every interval while deliveries stay about as fast as
/// the healthy baseline (slow start), backs off by half when they slow down or
/// errors, `QUEUE_FULL` or slow calls come back, and afterwards grows by a
/// quarter per good interval. The floor and the ceilings of `ReplayConfiguration`
/// bound it; pause and the breaker stop it. Pure: observations and time come in
/// as arguments, so every rule has a test.
///
/// The baseline is the delivery latency (90th percentile of an interval) the
/// pipeline measured while it was healthy and not replaying, before the outage;
/// if there is none (the backlog was there at start), the fastest interval of
/// this replay stands in for it.
///
/// The baseline is measured under load, where a record shares librdkafka's
/// batches; a record replayed alone at the floor waits for the whole linger and
/// the client's wake-ups, so it is slower on a healthy cluster. Latency counts as
/// congestion only past twice the baseline and past an allowance for that
/// (`loneRecordDelay`); between "about the baseline" and that, the rate grows
/// gently while latency is steady or falling and holds while it grows (the
/// latency's gradient, as delay-based TCP variants use it). Without that, a
/// replay left alone at the floor after Kafka was slow read its own batching
/// delay as congestion and stayed at the floor although Kafka was healthy.
package struct ReplayController: Sendable {
    package typealias Instant = ContinuousClock.Instant

    /// What the controller needs to know about the pipeline at each tick.
    package struct Context: Sendable {
        /// The spool holds records ready to replay.
        package var backlog: Bool
        package var paused: Bool
        /// The breaker lets records through (closed, half-open, forced closed).
        package var breakerAllows: Bool
        /// Closed, not half-open: latency then says what healthy looks like.
        package var breakerClosed: Bool

        package init(backlog: Bool, paused: Bool, breakerAllows: Bool, breakerClosed: Bool) {
            self.backlog = backlog
            self.paused = paused
            self.breakerAllows = breakerAllows
            self.breakerClosed = breakerClosed
        }
    }

    /// How often the controller decides.
    package static let interval: Duration = .milliseconds(100)

    package private(set) var configuration: ReplayConfiguration
    /// Records per second allowed now.
    package private(set) var rate: Double
    package private(set) var phase: ReplayPhase = .idle
    /// Healthy delivery latency, measured while not replaying.
    package private(set) var baseline: Duration?
    /// The last interval's 90th-percentile delivery latency, when it had deliveries.
    package private(set) var recentLatency: Duration?
    /// How much longer than the baseline a healthy delivery may take before it
    /// counts as congestion: 10 ms plus twice the client's linger.
    package let congestionAllowance: Duration
    private var slowStart = true
    /// The fastest interval of the current replay, for when there is no baseline.
    private var fastestDuringReplay: Duration?
    private var intervalStart: Instant
    private var samples: [Duration] = []
    private var sampleCount = 0
    private var failures = 0
    private var queueFulls = 0
    private var slowCalls = 0

    private static let maxSamples = 512

    /// - Parameter loneRecordDelay: how long the client holds a record sent alone
    ///   before sending it (`kafka.linger`): a replay at the floor pays it in full.
    package init(configuration: ReplayConfiguration, now: Instant, loneRecordDelay: Duration = .zero) {
        self.configuration = configuration
        congestionAllowance = .milliseconds(10) + loneRecordDelay * 2
        rate = configuration.minRecordsPerSecond
        intervalStart = now
        samples.reserveCapacity(Self.maxSamples)
    }

    /// Operators changed the floor or the ceilings: they win at once.
    package mutating func setConfiguration(_ configuration: ReplayConfiguration) {
        self.configuration = configuration
        rate = clamp(rate)
        if phase == .atCeiling, rate < configuration.recordsPerSecond { phase = .ramping }
    }

    // MARK: Observations, from every delivery report (live or replayed)

    package mutating func delivered(latency: Duration) {
        if samples.count < Self.maxSamples {
            samples.append(latency)
        } else {
            samples[sampleCount % Self.maxSamples] = latency
        }
        sampleCount += 1
    }

    /// A record failed for a reason about the cluster.
    package mutating func failed() { failures += 1 }

    /// librdkafka's queue was full.
    package mutating func queueFull() { queueFulls += 1 }

    /// A record stayed in flight longer than the slow-call duration.
    package mutating func slowCall() { slowCalls += 1 }

    // MARK: Deciding

    /// Decides once per `interval`; returns whether the rate or the phase changed.
    package mutating func tick(at now: Instant, _ context: Context) -> Bool {
        guard now - intervalStart >= Self.interval else { return false }
        let before = (rate, phase)
        let latency = percentile90()
        let congested = failures > 0 || queueFulls > 0 || slowCalls > 0
        let delivered = sampleCount
        samples.removeAll(keepingCapacity: true)
        sampleCount = 0
        failures = 0
        queueFulls = 0
        slowCalls = 0
        intervalStart = now
        let previousLatency = recentLatency
        recentLatency = latency

        guard context.breakerAllows, !context.paused, context.backlog else {
            if context.breakerAllows, context.breakerClosed, !context.backlog, !congested, delivered >= 10, let latency {
                // Healthy and not replaying: this is what Kafka's latency looks like.
                baseline = baseline.map { $0 * 0.8 + latency * 0.2 } ?? latency
            }
            phase = !context.breakerAllows ? .waiting : (context.paused ? .paused : .idle)
            rate = configuration.minRecordsPerSecond
            slowStart = true
            fastestDuringReplay = nil
            return (rate, phase) != before
        }
        if let latency { fastestDuringReplay = min(fastestDuringReplay ?? latency, latency) }
        let reference = baseline.map { min($0, fastestDuringReplay ?? $0) } ?? fastestDuringReplay
        let slow = latency.flatMap { latency in reference.map { slowerThanHealthy(latency, baseline: $0) } } ?? false
        if congested || slow {
            rate = clamp(rate / 2)
            slowStart = false
            phase = .backingOff
        } else if let latency {
            let aboveBaseline = reference.map { latency > $0 * 1.25 + .milliseconds(2) } ?? false
            if aboveBaseline, let previousLatency, latency > previousLatency * 1.1 {
                // Slower than healthy and getting slower: keep the rate.
                phase = .holding
            } else {
                // Slower than healthy but steady or falling: more does not hurt, but grow gently.
                if aboveBaseline { slowStart = false }
                rate = clamp(slowStart ? rate * 2 : rate * 1.25 + configuration.minRecordsPerSecond)
                phase = rate >= configuration.recordsPerSecond ? .atCeiling : .ramping
            }
        } else if phase == .idle || phase == .paused || phase == .waiting {
            // Just started: nothing delivered yet to learn from.
            phase = .ramping
        }
        return (rate, phase) != before
    }

    /// Latency that says Kafka is taking more than it healthily can: twice the
    /// baseline, and more than `congestionAllowance` above it (a fast baseline
    /// doubles on noise, and a lone record pays the whole linger).
    private func slowerThanHealthy(_ latency: Duration, baseline: Duration) -> Bool {
        latency > max(baseline * 2, baseline + congestionAllowance)
    }

    private func clamp(_ rate: Double) -> Double {
        min(configuration.recordsPerSecond, max(configuration.minRecordsPerSecond, rate))
    }

    private func percentile90() -> Duration? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
    }
}
