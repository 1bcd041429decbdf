import Spillway
import SpillwaySpool

/// Every key `spillway serve` understands, each written once. `spillway config keys`
/// prints this list and README's configuration table is this list (a test compares them).
public enum SettingsKeys {
    // MARK: Listeners

    /// Set by `serve --host`.
    public static let httpHost = SettingsKey.text("http.host", \.httpHost, "ingest listener address")
    /// Set by `serve --port`.
    public static let httpPort = SettingsKey.integer("http.port", \.httpPort, 0...65535, "ingest listener port (0: any free port)")
    static let httpMaxBodyBytes = SettingsKey.integer(
        "http.max_body_bytes", \.maxBodyBytes, 1...(1 << 30),
        "largest request body; a larger one gets 413, at once when its Content-Length says so"
    )
    static let httpTopicAllowlist = SettingsKey.optionalList(
        "http.topic_allowlist", \.topicAllowlist, "only these topics are accepted (403 otherwise)",
        unset: "(any)", whenEmpty: "must list at least one topic (leave it unset to accept any)",
        entryProblem: { TopicName.problem(with: $0).map { "is not a valid topic name: \($0)" } }
    )
    static let httpIdleTimeout = SettingsKey.milliseconds(
        "http.idle_timeout_ms", \.idleTimeout, 100...3_600_000, "both listeners: a connection with no request in progress is closed after this long"
    )
    static let httpHeaderTimeout = SettingsKey.milliseconds(
        "http.header_timeout_ms", \.headerTimeout, 100...600_000, "both listeners: a request head must be complete this long after its first byte (else 408 and close)"
    )
    static let httpBodyTimeout = SettingsKey.milliseconds(
        "http.body_timeout_ms", \.bodyTimeout, 100...3_600_000, "both listeners: a request body must arrive within this of its head (else 408 and close)"
    )
    static let httpMaxConnections = SettingsKey.integer(
        "http.max_connections", \.maxConnections, 1...100_000, "ingest connections held at once; more wait to be accepted"
    )
    static let adminHost = SettingsKey.text("admin.host", \.adminHost, "admin listener address; beyond loopback it needs a token")
    /// Set by `serve --admin-port`.
    public static let adminPort = SettingsKey.integer("admin.port", \.adminPort, 0...65535, "admin listener port (0: any free port)")
    /// Also read by the admin client, from the same variable.
    public static let adminToken = SettingsKey.secret("admin.token", \.adminToken, minimumLength: 16, "bearer token for the admin API (16+ characters)")
    static let adminMaxConnections = SettingsKey.integer(
        "admin.max_connections", \.adminMaxConnections, 1...10_000, "admin connections held at once"
    )

    // MARK: Kafka-protocol listener

    /// Set by `serve --kafka-port`.
    public static let kafkaListenerPort = SettingsKey.optionalInteger(
        "kafka_listener.port", \.kafkaListenerPort, 0...65535, unset: "(off)",
        "Kafka-protocol listener port on \(httpHost.name), for Kafka producers (0: any free port); the HTTP ingest's host, allowlist, connection, idle and size rules apply"
    )
    static let kafkaAdvertisedHost = SettingsKey.optionalText(
        "kafka_listener.advertised_host", \.kafkaAdvertisedHost, unset: "(the listener's address)",
        "the host Kafka clients are told to connect to", problem: { $0.isEmpty ? "must not be empty (leave it unset to advertise the listener's address)" : nil }
    )
    static let kafkaDefaultPartitions = SettingsKey.integer(
        "kafka_listener.default_partitions", \.kafkaDefaultPartitions, 1...100_000,
        "partitions told for a topic Kafka could not be asked about; its records go to librdkafka's partitioner"
    )
    static let kafkaAcksOneLevel = SettingsKey.choice(
        "kafka_listener.acks_1_level", \.kafkaAcksOneLevel, "the acknowledgement level a producer's acks=1 asks for (memory, spool or kafka)"
    )
    static let kafkaAcksAllLevel = SettingsKey.choice(
        "kafka_listener.acks_all_level", \.kafkaAcksAllLevel, "the acknowledgement level a producer's acks=all asks for (memory, spool or kafka)"
    )

    // MARK: Kafka

    /// Set by `serve --kafka`.
    public static let kafkaBootstrapServers = SettingsKey.list(
        "kafka.bootstrap_servers", \.pipeline.kafka.bootstrapServers, "brokers, host:port (comma-separated in the environment)",
        whenEmpty: "must list at least one broker"
    )
    /// Set by `serve --dev`.
    public static let kafkaMock = SettingsKey.boolean("kafka.mock", \.kafkaMock, "send to librdkafka's in-process mock cluster (dev mode, `--dev`)")
    static let kafkaClientID = SettingsKey.text("kafka.client_id", \.pipeline.kafka.clientID, "librdkafka's client.id")
    static let kafkaAcks = SettingsKey.choice("kafka.acks", \.pipeline.kafka.acks, "replicas that must acknowledge a record")
    static let kafkaCompression = SettingsKey.choice("kafka.compression", \.pipeline.kafka.compression, "batch compression")
    static let kafkaLinger = SettingsKey.milliseconds("kafka.linger_ms", \.pipeline.kafka.linger, 0...900_000, "librdkafka's linger.ms")
    static let kafkaMessageTimeout = SettingsKey.milliseconds(
        "kafka.message_timeout_ms", \.pipeline.kafka.messageTimeout, 1...3_600_000,
        "longest a record may stay in flight before it goes back to the spool"
    )

    // MARK: Spool

    /// Set by `serve --spool`.
    public static let spoolPath = SettingsKey.text("spool.path", \.pipeline.spool.path, "the spool file")
    static let spoolMaxBytes = SettingsKey.integer(
        "spool.max_bytes", \.pipeline.spool.maxBytes, SpoolConfiguration.minimumMaxBytes...(1 << 50), "bound on the spool file; the oldest records are evicted beyond it"
    )
    static let spoolMaxRecords = SettingsKey.integer("spool.max_records", \.pipeline.spool.maxRecords, 1...1_000_000_000_000, "bound on spooled records")
    static let spoolDurability = SettingsKey.choice("spool.durability", \.pipeline.spool.durability, "whether each committed batch is on disk before the next")
    static let spoolIntegrityCheck = SettingsKey.choice("spool.integrity_check", \.pipeline.spool.integrityCheck, "how much of the spool is verified at start")
    static let spoolCompression = SettingsKey.choice(
        "spool.compression", \.pipeline.spool.compression, "how values are stored: zstd with a dictionary per topic, or as sent"
    )
    static let spoolBatchSize = SettingsKey.integer("spool.batch_size", \.pipeline.spoolBatchSize, 1...100_000, "records per spool transaction")

    // MARK: Memory

    static let queueMaxRecords = SettingsKey.integer(
        "queue.max_records", \.pipeline.queue.maxRecords, 1...10_000_000, "live queue plus records in flight inside librdkafka"
    )
    static let queueMaxBytes = SettingsKey.integer("queue.max_bytes", \.pipeline.queue.maxBytes, 1024...(64 << 30), "the same, in bytes")
    static let spoolHandoffMaxRecords = SettingsKey.integer(
        "spool_handoff.max_records", \.pipeline.spoolHandoff.maxRecords, 1...10_000_000, "records waiting for the spool writer"
    )
    static let spoolHandoffMaxBytes = SettingsKey.integer(
        "spool_handoff.max_bytes", \.pipeline.spoolHandoff.maxBytes, 1024...(64 << 30), "the same, in bytes"
    )
    static let maxRecordBytes = SettingsKey.integer(
        "max_record_bytes", \.pipeline.maxRecordBytes, 1...(1 << 30),
        "largest record (key + value + headers); Kafka's own limits still apply after the hand-over"
    )

    // MARK: Breaker

    static let breakerWindowSize = SettingsKey.integer("breaker.window_size", \.pipeline.breaker.windowSize, 1...100_000, "calls in the sliding window")
    static let breakerMinimumCalls = SettingsKey.integer(
        "breaker.minimum_calls", \.pipeline.breaker.minimumCalls, 1...100_000, "fewest calls in the window for a verdict"
    )
    static let breakerFailureRate = SettingsKey.number(
        "breaker.failure_rate_threshold", \.pipeline.breaker.failureRateThreshold, 0.01...1, "trip at this failure rate"
    )
    static let breakerSlowCall = SettingsKey.milliseconds(
        "breaker.slow_call_ms", \.pipeline.breaker.slowCallDuration, 1...3_600_000, "an acknowledgement slower than this is slow"
    )
    static let breakerSlowCallRate = SettingsKey.number(
        "breaker.slow_call_rate_threshold", \.pipeline.breaker.slowCallRateThreshold, 0.01...1, "trip at this slow-call rate"
    )
    static let breakerOpen = SettingsKey.milliseconds(
        "breaker.open_ms", \.pipeline.breaker.openDuration, 1...3_600_000, "after opening, traffic is tried again no sooner than this (doubling with each failed trial)"
    )
    static let breakerMaxOpen = SettingsKey.milliseconds(
        "breaker.max_open_ms", \.pipeline.breaker.maxOpenDuration, 1...3_600_000, "cap on the open interval as it backs off"
    )
    static let breakerBackoff = SettingsKey.number(
        "breaker.backoff_multiplier", \.pipeline.breaker.backoffMultiplier, 1...100, "open interval growth per reopening"
    )
    static let breakerJitter = SettingsKey.number("breaker.jitter", \.pipeline.breaker.jitter, 0...0.99, "random spread of the open and probe intervals")
    static let breakerProbeInterval = SettingsKey.milliseconds(
        "breaker.probe_interval_ms", \.pipeline.breaker.probeInterval, 10...600_000, "while open, Kafka is probed this often: how soon its recovery is noticed"
    )
    static let breakerProbeMaxInterval = SettingsKey.milliseconds(
        "breaker.probe_max_interval_ms", \.pipeline.breaker.probeMaxInterval, 10...600_000, "cap on the probe interval as probes keep failing"
    )
    static let breakerHalfOpenTrialCalls = SettingsKey.integer(
        "breaker.half_open_trial_calls", \.pipeline.breaker.halfOpenTrialCalls, 1...10_000, "trial records while half-open"
    )
    static let breakerHalfOpenIdle = SettingsKey.milliseconds(
        "breaker.half_open_idle_ms", \.pipeline.breaker.halfOpenIdleTimeout, 1...3_600_000, "half-open with nothing to send this long closes on the probe's word"
    )
    static let breakerProbeTimeout = SettingsKey.milliseconds(
        "breaker.probe_timeout_ms", \.pipeline.breaker.probeTimeout, 1...600_000, "metadata probe timeout"
    )
    static let breakerConnectGrace = SettingsKey.milliseconds(
        "breaker.connect_grace_ms", \.pipeline.breaker.connectGrace, 0...3_600_000,
        "until Kafka first acknowledges, in-flight waits count as slow only after this"
    )

    // MARK: Replay

    static let replayRecordsPerSecond = SettingsKey.number(
        "replay.records_per_second", \.pipeline.replay.recordsPerSecond, 1...10_000_000, "replay ceiling, records/s"
    )
    static let replayBytesPerSecond = SettingsKey.number(
        "replay.bytes_per_second", \.pipeline.replay.bytesPerSecond, 1024...10_737_418_240, "replay ceiling, bytes/s"
    )
    static let replayMinRecordsPerSecond = SettingsKey.number(
        "replay.min_records_per_second", \.pipeline.replay.minRecordsPerSecond, 1...10_000_000,
        "replay floor, records/s: the least it backs off to, and where a replay starts before a healthy rate was measured"
    )
    static let replayBatchSize = SettingsKey.integer(
        "replay.batch_size", \.pipeline.replay.batchSize, 1...100_000, "records read per replay batch, and most replayed records in flight"
    )

    // MARK: General

    static let ordering = SettingsKey.choice("ordering", \.pipeline.ordering, "fifo: new records queue behind a backlog in the spool")
    static let shutdownDeadline = SettingsKey.milliseconds(
        "shutdown_deadline_ms", \.pipeline.shutdownDeadline, 0...600_000, "in-flight grace on shutdown; the rest is spooled"
    )

    // MARK: Acknowledgement levels

    static let ackDefault = SettingsKey.choice(
        "ack.default", \.ackDefault, "the acknowledgement level of a request without X-Spillway-Ack (memory, spool or kafka)"
    )
    static let ackTopics = SettingsKey.levelsByTopic(
        "ack.topics", \.ackTopics, "per-topic levels over the default one, topic=level entries (comma-separated in the environment)"
    )
    static let ackTimeout = SettingsKey.milliseconds(
        "ack.timeout_ms", \.pipeline.ack.timeout, 1...600_000, "longest a spool or kafka request waits for its answer"
    )
    static let ackMaxPendingRecords = SettingsKey.integer(
        "ack.max_pending_records", \.pipeline.ack.maxPendingRecords, 1...10_000_000,
        "records whose callers wait at once; past it, a request is answered at once (reason ack_capacity)"
    )
    static let ackMaxPendingBytes = SettingsKey.integer(
        "ack.max_pending_bytes", \.pipeline.ack.maxPendingBytes, 1...(1 << 34), "the same bound in payload bytes"
    )

    static let recordIDHeader = SettingsKey.optionalText(
        "record_id_header", \.pipeline.recordIDHeader, unset: "(off)",
        "a header carrying an id unique to each record, so consumers can drop duplicates",
        problem: SpillwayConfiguration.recordIDHeaderProblem
    )
    static let logLevel = SettingsKey.choice(
        "log_level", \.logLevel, ["trace", "debug", "info", "notice", "warning", "error", "critical"], "least severe message logged"
    )
    static let heapTrimThreshold = SettingsKey.integer(
        "heap_trim_threshold_bytes", \.heapTrimThreshold, 0...(1 << 40),
        "once the process has grown by this much, the heap it freed is handed back to the kernel (glibc's malloc_trim; 0: never)"
    )

    /// Every key, in the order `config keys` and README list them.
    public static let all: [SettingsKey] = [
        httpHost, httpPort, httpMaxBodyBytes, httpTopicAllowlist, httpIdleTimeout, httpHeaderTimeout, httpBodyTimeout, httpMaxConnections,
        adminHost, adminPort, adminToken, adminMaxConnections,
        kafkaListenerPort, kafkaAdvertisedHost, kafkaDefaultPartitions, kafkaAcksOneLevel, kafkaAcksAllLevel,
        kafkaBootstrapServers, kafkaMock, kafkaClientID, kafkaAcks, kafkaCompression, kafkaLinger, kafkaMessageTimeout,
        spoolPath, spoolMaxBytes, spoolMaxRecords, spoolDurability, spoolIntegrityCheck, spoolCompression, spoolBatchSize,
        queueMaxRecords, queueMaxBytes, spoolHandoffMaxRecords, spoolHandoffMaxBytes, maxRecordBytes,
        breakerWindowSize, breakerMinimumCalls, breakerFailureRate, breakerSlowCall, breakerSlowCallRate,
        breakerOpen, breakerMaxOpen, breakerBackoff, breakerJitter, breakerProbeInterval, breakerProbeMaxInterval,
        breakerHalfOpenTrialCalls, breakerHalfOpenIdle, breakerProbeTimeout, breakerConnectGrace,
        replayRecordsPerSecond, replayBytesPerSecond, replayMinRecordsPerSecond, replayBatchSize,
        ackDefault, ackTopics, ackTimeout, ackMaxPendingRecords, ackMaxPendingBytes,
        ordering, shutdownDeadline, recordIDHeader, logLevel, heapTrimThreshold,
    ]

    /// Checks between keys, each naming both: the library's rules between fields
    /// (`ConfigurationOrder`), under the names of the keys that set those fields.
    static let rules: [SettingsRule] =
        SettingsRule.orders(CircuitBreakerConfiguration.orders, at: \.pipeline.breaker)
        + SettingsRule.orders(ReplayConfiguration.orders, at: \.pipeline.replay)
        + SettingsRule.orders(SpillwayConfiguration.orders, at: \.pipeline)

    /// The key that sets `field` of `ServiceSettings`, if there is one.
    static func setting(_ field: AnyKeyPath) -> SettingsKey? {
        all.first { $0.field.map { $0 as AnyKeyPath == field } ?? false }
    }

    /// The key spelled `name`, if there is one.
    public static func named(_ name: String) -> SettingsKey? {
        all.first { $0.name == name }
    }

    /// More clusters: `clusters.NAME.topics`, `clusters.NAME.spool_share` and
    /// `clusters.NAME.KEY` for any key in `ClusterSettings.keys` (file only).
    public static let clusters = "clusters"
    static let clusterTopics = "topics"
    static let clusterSpoolShare = "spool_share"

    /// Raw librdkafka properties: `kafka.properties.NAME` in the file, passed through as they are.
    static let properties = ["kafka", "properties"]

    /// How `config keys` and errors name a raw property.
    public static func property(_ name: String) -> String {
        (properties + [name]).joined(separator: ".")
    }
}
