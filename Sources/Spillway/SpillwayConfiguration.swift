import SpillwaySpool

/// Everything a `SpillwayBuffer` needs, as plain values with production defaults.
public struct SpillwayConfiguration: Sendable {
    /// Which records go to Kafka first while the spool holds a backlog.
    public enum Ordering: String, Sendable, Hashable, CaseIterable {
        /// New records go straight to Kafka; the backlog replays beside them at its own rate.
        case liveFirst = "live-first"
        /// While the spool holds records, new ones queue behind them in the spool.
        case fifo
    }

    public var kafka: KafkaConfiguration
    public var spool: SpoolConfiguration
    public var breaker: CircuitBreakerConfiguration
    /// Bound on the live queue plus the records in flight inside librdkafka.
    public var queue: QueueLimits
    /// Bound on records waiting for the spool writer (the disk may be slower than intake).
    public var spoolHandoff: QueueLimits
    /// Largest record (key + value + headers) `send` accepts; Kafka's default `message.max.bytes` is 1,000,000.
    public var maxRecordBytes: Int
    public var replay: ReplayConfiguration
    public var ordering: Ordering
    /// On shutdown, how long in-flight records may take to be acknowledged before they are spooled.
    public var shutdownDeadline: Duration
    /// Records per spool transaction.
    public var spoolBatchSize: Int
    /// When set, every record carries a header of this name whose value is an id
    /// unique across restarts and instances, so consumers can drop duplicates;
    /// a re-sent record that may already be in Kafka also carries
    /// `spillway-possibly-persisted: 1`. Off by default: Spillway adds nothing to records.
    public var recordIDHeader: String?
    /// Bounds on callers of `send(…, ack:)` waiting for `spool` or `kafka`.
    public var ack: AckConfiguration
    /// The cluster this buffer is the compartment of, when a `SpillwayRouter` runs
    /// several in one process: its metrics carry `cluster="NAME"` so they stay
    /// apart. Set by the router; `nil` (no label) for a buffer on its own.
    public var cluster: String?

    public init(
        kafka: KafkaConfiguration = .init(),
        spool: SpoolConfiguration = SpoolConfiguration(path: "spillway-data/spool.db"),
        breaker: CircuitBreakerConfiguration = .init(),
        queue: QueueLimits = QueueLimits(maxRecords: 100_000, maxBytes: 64 << 20),
        spoolHandoff: QueueLimits = QueueLimits(maxRecords: 100_000, maxBytes: 64 << 20),
        maxRecordBytes: Int = 1_000_000,
        replay: ReplayConfiguration = .init(),
        ordering: Ordering = .liveFirst,
        shutdownDeadline: Duration = .seconds(5),
        spoolBatchSize: Int = 1000,
        recordIDHeader: String? = nil,
        ack: AckConfiguration = AckConfiguration()
    ) {
        self.kafka = kafka
        self.spool = spool
        self.breaker = breaker
        self.queue = queue
        self.spoolHandoff = spoolHandoff
        self.maxRecordBytes = maxRecordBytes
        self.replay = replay
        self.ordering = ordering
        self.shutdownDeadline = shutdownDeadline
        self.spoolBatchSize = spoolBatchSize
        self.recordIDHeader = recordIDHeader
        self.ack = ack
    }

    private static let maxRecordBytesRule = "maxRecordBytes must be between 1 and queue.maxBytes"

    /// Settings that must not be above another: checked by `validate()`, and by the
    /// service under its keys' names (the breaker's and replay's are in their own types).
    package static let orders: [ConfigurationOrder<SpillwayConfiguration>] = [
        ConfigurationOrder(\.maxRecordBytes, atMost: \.queue.maxBytes, { "\(maxRecordBytesRule) (\($0.queue.maxBytes))" }),
    ]

    /// What is wrong with `name` as the record id header's name, or `nil`: the one
    /// rule, shared by `validate()` and the service's `record_id_header` key.
    package static func recordIDHeaderProblem(_ name: String) -> String? {
        name.isEmpty || name.utf8.contains(where: { $0 < 0x21 || $0 > 0x7E }) ? "must be a non-empty header name of printable ASCII without spaces" : nil
    }

    /// Names the first setting that makes no sense.
    public func validate() throws(SpillwayConfigurationError) {
        try breaker.validate()
        try replay.validate()
        try ack.validate()
        do {
            try spool.validate()
        } catch {
            throw SpillwayConfigurationError(error.description)
        }
        if queue.maxRecords < 1 || queue.maxBytes < 1 { throw SpillwayConfigurationError("queue.maxRecords and queue.maxBytes must be at least 1") }
        if spoolHandoff.maxRecords < 1 || spoolHandoff.maxBytes < 1 {
            throw SpillwayConfigurationError("spoolHandoff.maxRecords and spoolHandoff.maxBytes must be at least 1")
        }
        if maxRecordBytes < 1 { throw SpillwayConfigurationError("\(Self.maxRecordBytesRule) (\(queue.maxBytes))") }
        for order in Self.orders { try order.check(self) }
        if kafka.bootstrapServers.isEmpty && kafka.properties["bootstrap.servers"] == nil && kafka.properties["test.mock.num.brokers"] == nil {
            throw SpillwayConfigurationError("kafka.bootstrapServers must name at least one broker")
        }
        if kafka.messageTimeout < .milliseconds(1) { throw SpillwayConfigurationError("kafka.messageTimeout must be at least 1 ms") }
        if spoolBatchSize < 1 { throw SpillwayConfigurationError("spoolBatchSize must be at least 1") }
        if shutdownDeadline < .zero { throw SpillwayConfigurationError("shutdownDeadline must not be negative") }
        if let recordIDHeader, let problem = Self.recordIDHeaderProblem(recordIDHeader) {
            throw SpillwayConfigurationError("recordIDHeader \(problem)")
        }
        try kafka.validateProperties(maxMessages: queue.maxRecords, maxBytes: queue.maxBytes)
    }
}
