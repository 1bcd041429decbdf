/// A token bucket on two budgets, records and bytes, at a rate its owner sets
/// (the replay controller's, or a fixed one). At most a tenth of a second's
/// worth of burst. Pure: time comes in as an argument.
package struct ReplayThrottle: Sendable {
    package typealias Instant = ContinuousClock.Instant

    private(set) var recordsPerSecond: Double
    private(set) var bytesPerSecond: Double
    /// Most records read at once.
    private let batchSize: Int
    private var lastRefill: Instant
    private var recordTokens: Double = 0
    private var byteTokens: Double = 0

    package init(recordsPerSecond: Double, bytesPerSecond: Double, batchSize: Int, now: Instant) {
        self.recordsPerSecond = recordsPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.batchSize = batchSize
        lastRefill = now
    }

    /// Changes the rate from now on; tokens already earned are kept, within the new burst.
    package mutating func setRate(recordsPerSecond: Double, bytesPerSecond: Double) {
        self.recordsPerSecond = recordsPerSecond
        self.bytesPerSecond = bytesPerSecond
    }

    /// Starts empty, as after every outage.
    package mutating func restart(at now: Instant) {
        lastRefill = now
        recordTokens = 0
        byteTokens = 0
    }

    /// How many records may be read now (at most `limit`).
    package mutating func available(at now: Instant, limit: Int) -> Int {
        let seconds = max(0, (now - lastRefill).inSeconds)
        lastRefill = now
        let recordBurst = Double(max(1, min(batchSize, Int(recordsPerSecond / 10))))
        recordTokens = min(recordBurst, recordTokens + seconds * recordsPerSecond)
        byteTokens = min(bytesPerSecond / 10 + 1, byteTokens + seconds * bytesPerSecond)
        guard byteTokens > 0 else { return 0 }
        return max(0, min(limit, Int(recordTokens)))
    }

    /// Charges what was read. Bytes may go into debt, which later refills pay back.
    package mutating func consume(records: Int, bytes: Int) {
        recordTokens -= Double(records)
        byteTokens -= Double(bytes)
    }
}
