/// A full picture of a spool for operators. Unlike `Spool.totals` it scans, so it
/// is for the CLI and the admin API, not for hot paths.
public struct SpoolStatistics: Sendable, Hashable, Codable {
    /// Per-topic counts and sizes.
    public struct Topic: Sendable, Hashable, Codable {
        public var topic: String
        public var readyCount: Int
        public var readyBytes: Int
        public var deadCount: Int
        public var deadBytes: Int
    }

    public var path: String
    public var schemaVersion: Int
    public var readyCount: Int
    public var readyBytes: Int
    public var deadCount: Int
    public var deadBytes: Int
    public var evictedCount: Int
    public var evictedBytes: Int
    /// Escrow copies of records sent at ack level `kafka` not answered by Kafka
    /// yet; left by a crash, they become ready records when the spool next opens for writing.
    public var escrowCount: Int
    public var escrowBytes: Int
    /// Creation time (ms since 1970) of the oldest and newest record, ready or dead.
    public var oldestTimestamp: Int64?
    public var newestTimestamp: Int64?
    /// Bytes of record values as the spool keeps them (ready and dead letters),
    /// and as they were sent: with `spool.compression = zstd` their ratio is what
    /// compression saves. Optional: a service before schema version 6 sends neither.
    public var storedValueBytes: Int?
    public var originalValueBytes: Int?
    public var fileBytes: Int
    public var walBytes: Int
    public var pageSize: Int
    public var topics: [Topic]
}
