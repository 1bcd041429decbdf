/// Decides how fast the backlog replays, the way TCP finds a link's capacity,
/// but starting where Kafka was last seen healthy instead of at the floor.
///
/// - **Start.** A replay starts with a probe at the floor. The first interval
///   whose deliveries (live or replayed) come back about as fast as the
///   baseline, with nothing failed, full or slow, lifts it at once to the
///   fastest delivery rate Kafka sustained in an interval while it was healthy
///   (`healthyRate`: live and replayed records together, before the outage or
///   during an earlier replay), and slow start goes on from there. A Kafka that
///   came back slow never sees more than the floor's trickle: its first
///   deliveries back off instead. Without a healthy rate (the backlog was there
///   at start) the replay grows from the floor.
/// - **Slow start.** While deliveries stay about as fast as the healthy
///   baseline, the rate doubles once per round trip of the interval's latency
///   (at most three times, ×8, per 100 ms decision): it grows as fast as
///   delivery latency says Kafka keeps up.
/// - **Back-off.** When latency grows past twice the baseline, or errors,
///   `QUEUE_FULL` or slow calls come back, the rate halves, and never stays
///   above what Kafka delivered in that interval. Afterwards it grows by a
///   quarter per good interval, except that below half the healthy rate it
///   climbs back as in slow start while latency is about the baseline (that
///   rate is known to be safe; a deep cut from a passing stall costs little).
///
/// The floor and the ceilings of `ReplayConfiguration` bound it; pause and the
/// breaker stop it. Pure: observations and time come in as arguments, so every
/// rule has a test.
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
    /// Most doublings of slow start in one decision: a rate that overshoots is
    /// back within Kafka's reach after as many halvings (300 ms), and the
    /// replay window (`ReplayConfiguration.batchSize` in flight) bounds what
    /// is on the wire meanwhile.
    package static let maxDoublingsPerInterval = 3.0
    /// Fewer deliveries in an interval say too little to measure a rate or a baseline from.
    private static let minDeliveriesToLearn = 10

    package private(set) var configuration: ReplayConfiguration
    /// Records per second allowed now.
    package private(set) var rate: Double
    package private(set) var phase: ReplayPhase = .idle
    /// Healthy delivery latency, measured while not replaying.
    package private(set) var baseline: Duration?
    /// The fastest delivery rate (records per second, live and replayed together)
    /// of an interval in which Kafka was healthy: where the next replay starts.
    package private(set) var healthyRate: Double?
    /// The last interval's 90th-percentile delivery latency, when it had deliveries.
    package private(set) var recentLatency: Duration?
    /// How much longer than the baseline a healthy delivery may take before it
    /// counts as congestion: 10 ms plus twice the client's linger.
    package let congestionAllowance: Duration
    private var slowStart = true
    /// No delivery of this replay has said yet whether Kafka is healthy: the rate stays at the floor.
    private var probing = true
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

    /// Where a replay goes once its probe found Kafka healthy: the healthy rate,
    /// within the floor and the ceilings.
    package var startRate: Double { clamp(healthyRate ?? configuration.minRecordsPerSecond) }

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
        let deliveredRate = Double(delivered) / (now - intervalStart).inSeconds
        samples.removeAll(keepingCapacity: true)
        sampleCount = 0
        failures = 0
        queueFulls = 0
        slowCalls = 0
        intervalStart = now
        let previousLatency = recentLatency
        recentLatency = latency

        guard context.breakerAllows, !context.paused, context.backlog else {
            if context.breakerAllows, context.breakerClosed, !context.backlog, !congested, delivered >= Self.minDeliveriesToLearn, let latency {
                // Healthy and not replaying: this is what Kafka's latency looks like.
                if baseline.map({ !isAboveBaseline(latency, reference: $0) }) ?? true {
                    learnHealthyRate(deliveredRate)
                }
                baseline = baseline.map { $0 * 0.8 + latency * 0.2 } ?? latency
            }
            phase = !context.breakerAllows ? .waiting : (context.paused ? .paused : .idle)
            rate = configuration.minRecordsPerSecond
            slowStart = true
            probing = true
            fastestDuringReplay = nil
            return (rate, phase) != before
        }
        if let latency { fastestDuringReplay = min(fastestDuringReplay ?? latency, latency) }
        let reference = baseline.map { min($0, fastestDuringReplay ?? $0) } ?? fastestDuringReplay
        let slow = latency.flatMap { latency in reference.map { slowerThanHealthy(latency, baseline: $0) } } ?? false
        if congested || slow {
            // Halve, and never stay above what Kafka took in this interval.
            rate = clamp(delivered > 0 ? min(rate / 2, deliveredRate) : rate / 2)
            slowStart = false
            probing = false
            phase = .backingOff
        } else if let latency {
            let aboveBaseline = reference.map { isAboveBaseline(latency, reference: $0) } ?? false
            if aboveBaseline, let previousLatency, latency > previousLatency * 1.1 {
                // Slower than healthy and getting slower: keep the rate.
                phase = .holding
            } else {
                if aboveBaseline {
                    // Slower than healthy but steady or falling: more does not hurt, but grow gently.
                    slowStart = false
                } else if delivered >= Self.minDeliveriesToLearn {
                    learnHealthyRate(deliveredRate)
                }
                if probing, !aboveBaseline {
                    // The probe's answer: Kafka is as fast as when it was healthy, so go
                    // where it was healthy before. (Slower, but not congested: keep probing.)
                    rate = max(rate, startRate)
                    probing = false
                }
                let belowHealthy = healthyRate.map { rate < $0 / 2 } ?? false
                let quick = !aboveBaseline && (slowStart || belowHealthy)
                rate = clamp(quick ? rate * slowStartGrowth(latency: latency, reference: reference) : rate * 1.25 + configuration.minRecordsPerSecond)
                phase = rate >= configuration.recordsPerSecond ? .atCeiling : .ramping
            }
        } else if phase == .idle || phase == .paused || phase == .waiting {
            // Just started: nothing delivered yet to learn from.
            phase = .ramping
        }
        return (rate, phase) != before
    }

    /// Slow start doubles once per round trip: as many times as the interval
    /// holds the latency (at least the reference), at least once, at most
    /// `maxDoublingsPerInterval` times.
    private func slowStartGrowth(latency: Duration, reference: Duration?) -> Double {
        let roundTrip = max(latency, reference ?? latency, .milliseconds(1))
        let doublings = min(Self.maxDoublingsPerInterval, max(1, (Self.interval / roundTrip).rounded(.down)))
        return Double(1 << Int(doublings))
    }

    /// Remembers a delivery rate Kafka took while healthy; the fastest wins.
    private mutating func learnHealthyRate(_ deliveredRate: Double) {
        guard deliveredRate.isFinite, deliveredRate > 0 else { return }
        healthyRate = max(healthyRate ?? 0, deliveredRate)
    }

    /// Latency above "about the baseline" (a quarter and 2 ms over it), not yet congestion.
    private func isAboveBaseline(_ latency: Duration, reference: Duration) -> Bool {
        latency > reference * 1.25 + .milliseconds(2)
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
