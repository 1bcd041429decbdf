/// A token bucket on two budgets (records and bytes) whose rate ramps from a
/// fraction of the ceiling to all of it. Pure: time comes in as an argument.
package struct ReplayThrottle: Sendable {
    package typealias Instant = ContinuousClock.Instant

    var configuration: ReplayConfiguration
    private var started: Instant
    private var lastRefill: Instant
    private var recordTokens: Double
    private var byteTokens: Double

    package init(configuration: ReplayConfiguration, now: Instant) {
        self.configuration = configuration
        started = now
        lastRefill = now
        recordTokens = 0
        byteTokens = 0
    }

    /// The fraction of the ceilings allowed `elapsed` after replay started.
    func rampFraction(at now: Instant) -> Double {
        let elapsed = now - started
        guard configuration.rampDuration > .zero, elapsed < configuration.rampDuration else { return 1 }
        let progress = elapsed / configuration.rampDuration
        return configuration.rampStartFraction + (1 - configuration.rampStartFraction) * progress
    }

    /// Records per second allowed right now.
    func currentRate(at now: Instant) -> Double {
        configuration.recordsPerSecond * rampFraction(at: now)
    }

    /// Restarts the ramp, as after every outage.
    mutating func restart(at now: Instant) {
        started = now
        lastRefill = now
        recordTokens = 0
        byteTokens = 0
    }

    /// How many records may be read now (at most `limit`); at most one batch of burst.
    package mutating func available(at now: Instant, limit: Int) -> Int {
        let seconds = (now - lastRefill).inSeconds
        lastRefill = now
        let fraction = rampFraction(at: now)
        let burst = Double(max(1, min(configuration.batchSize, Int(configuration.recordsPerSecond / 10))))
        recordTokens = min(burst, recordTokens + seconds * configuration.recordsPerSecond * fraction)
        byteTokens = min(configuration.bytesPerSecond / 10 + 1, byteTokens + seconds * configuration.bytesPerSecond * fraction)
        guard byteTokens > 0 else { return 0 }
        return max(0, min(limit, Int(recordTokens)))
    }

    /// Charges what was read. Bytes may go into debt, which later refills pay back.
    package mutating func consume(records: Int, bytes: Int) {
        recordTokens -= Double(records)
        byteTokens -= Double(bytes)
    }
}
