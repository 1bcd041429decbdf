/// How fast the spool may drain back into Kafka after an outage. Within these
/// bounds the rate follows Kafka's health (`ReplayController`): it starts at the
/// delivery rate Kafka took while healthy, grows while deliveries stay as fast
/// as before the outage and backs off when they slow down or fail. The
/// ceilings are operators' limits; they always win. The default ceilings are a
/// safety bound, not the usual limit: a healthy Kafka is replayed into as fast
/// as its latency allows.
public struct ReplayConfiguration: Sendable, Hashable {
    /// Ceiling in records per second. The default, 500,000, is about what one
    /// Spillway delivers on its live path: a bound on a controller that misjudges
    /// Kafka, not the rate a healthy replay usually runs at.
    public var recordsPerSecond: Double
    /// Ceiling in payload bytes per second.
    public var bytesPerSecond: Double
    /// Floor in records per second: however slow Kafka is, the backlog moves at
    /// least this fast (while the breaker lets traffic through at all). Also where
    /// a replay starts when no healthy delivery rate was measured yet (a restart
    /// with a backlog).
    public var minRecordsPerSecond: Double
    /// Records read from the spool at a time; also the most replayed records in
    /// flight, the replay's window: at a healthy latency of a few milliseconds it,
    /// not the rate, bounds how fast a replay can go (and what a slow Kafka has on
    /// the wire before the controller backs off).
    public var batchSize: Int

    public init(
        recordsPerSecond: Double = 500_000,
        bytesPerSecond: Double = 64 * 1024 * 1024,
        minRecordsPerSecond: Double = 100,
        batchSize: Int = 5000
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
