/// How fast the spool drains back into Kafka after an outage: a recovering
/// cluster gets a trickle first, then the full rate.
public struct ReplayConfiguration: Sendable, Hashable {
    /// Ceiling in records per second.
    public var recordsPerSecond: Double
    /// Ceiling in payload bytes per second.
    public var bytesPerSecond: Double
    /// Replay starts at this fraction of the ceilings…
    public var rampStartFraction: Double
    /// …and reaches them after this long.
    public var rampDuration: Duration
    /// Records read from the spool at a time; also the most replayed records in flight.
    public var batchSize: Int

    public init(
        recordsPerSecond: Double = 5000,
        bytesPerSecond: Double = 8 * 1024 * 1024,
        rampStartFraction: Double = 0.1,
        rampDuration: Duration = .seconds(30),
        batchSize: Int = 500
    ) {
        self.recordsPerSecond = recordsPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.rampStartFraction = rampStartFraction
        self.rampDuration = rampDuration
        self.batchSize = batchSize
    }

    /// Names the first setting that makes no sense.
    public func validate() throws(SpillwayConfigurationError) {
        if !(recordsPerSecond > 0 && recordsPerSecond.isFinite) { throw SpillwayConfigurationError("replay.recordsPerSecond must be positive and finite") }
        if !(bytesPerSecond > 0 && bytesPerSecond.isFinite) { throw SpillwayConfigurationError("replay.bytesPerSecond must be positive and finite") }
        if !(rampStartFraction > 0 && rampStartFraction <= 1) { throw SpillwayConfigurationError("replay.rampStartFraction must be in (0, 1]") }
        if rampDuration < .zero { throw SpillwayConfigurationError("replay.rampDuration must not be negative") }
        if batchSize < 1 { throw SpillwayConfigurationError("replay.batchSize must be at least 1") }
    }
}
