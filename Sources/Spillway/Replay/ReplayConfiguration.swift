/// How fast the spool may drain back into Kafka after an outage. Within these
/// bounds the rate follows Kafka's health (`ReplayController`): it grows while
/// deliveries stay as fast as before the outage and backs off when they slow
/// down or fail. The ceilings are operators' limits; they always win.
public struct ReplayConfiguration: Sendable, Hashable {
    /// Ceiling in records per second.
    public var recordsPerSecond: Double
    /// Ceiling in payload bytes per second.
    public var bytesPerSecond: Double
    /// Floor in records per second: however slow Kafka is, the backlog moves at
    /// least this fast (while the breaker lets traffic through at all). Also where
    /// each replay starts.
    public var minRecordsPerSecond: Double
    /// Records read from the spool at a time; also the most replayed records in flight.
    public var batchSize: Int

    public init(
        recordsPerSecond: Double = 50_000,
        bytesPerSecond: Double = 64 * 1024 * 1024,
        minRecordsPerSecond: Double = 100,
        batchSize: Int = 500
    ) {
        self.recordsPerSecond = recordsPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.minRecordsPerSecond = minRecordsPerSecond
        self.batchSize = batchSize
    }

    /// A fixed rate: the floor at the ceiling, so nothing adapts.
    public static func fixed(recordsPerSecond: Double, bytesPerSecond: Double = 64 * 1024 * 1024, batchSize: Int = 500) -> ReplayConfiguration {
        ReplayConfiguration(recordsPerSecond: recordsPerSecond, bytesPerSecond: bytesPerSecond, minRecordsPerSecond: recordsPerSecond, batchSize: batchSize)
    }

    private static let floorRule = "replay.minRecordsPerSecond must be positive and at most replay.recordsPerSecond"

    /// Settings that must not be above another: checked by `validate()`, and by the
    /// service under its keys' names.
    package static let orders: [ConfigurationOrder<ReplayConfiguration>] = [
        ConfigurationOrder(\.minRecordsPerSecond, atMost: \.recordsPerSecond, { _ in floorRule }),
    ]

    /// Names the first setting that makes no sense.
    public func validate() throws(SpillwayConfigurationError) {
        if !(recordsPerSecond > 0 && recordsPerSecond.isFinite) { throw SpillwayConfigurationError("replay.recordsPerSecond must be a positive number") }
        if !(bytesPerSecond > 0 && bytesPerSecond.isFinite) { throw SpillwayConfigurationError("replay.bytesPerSecond must be a positive number") }
        if !(minRecordsPerSecond > 0) { throw SpillwayConfigurationError(Self.floorRule) }
        for order in Self.orders { try order.check(self) }
        if batchSize < 1 { throw SpillwayConfigurationError("replay.batchSize must be at least 1") }
    }
}
