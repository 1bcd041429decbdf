import Spillway
import SpillwaySpool

/// Every key `spillway serve` understands. README's configuration table is this list.
public enum SettingsKeys {
    static let all: [SettingsKey] = listeners + kafka + spool + queues + breaker + replay + acks + general

    static func named(_ name: String) -> SettingsKey? {
        all.first { $0.name == name }
    }

    private static func ms(_ duration: Duration) -> String { "\(duration.milliseconds)" }

    private static func positive(_ key: String, _ value: Int) throws(ServiceSettingsError) -> Int {
        guard value > 0 else { throw ServiceSettingsError(key: key, "must be positive, got \(value)") }
        return value
    }

    static let listeners: [SettingsKey] = [
        SettingsKey("http.host", .string, "ingest listener address", current: { $0.httpHost }) { s, v throws(ServiceSettingsError) in s.httpHost = try v.string("http.host") },
        SettingsKey("http.port", .int, "ingest listener port", current: { "\($0.httpPort)" }) { s, v throws(ServiceSettingsError) in s.httpPort = try v.int("http.port") },
        SettingsKey("http.max_body_bytes", .int, "largest request body; larger gets 413", current: { "\($0.maxBodyBytes)" }) { s, v throws(ServiceSettingsError) in
            s.maxBodyBytes = try positive("http.max_body_bytes", v.int("http.max_body_bytes"))
        },
        SettingsKey("http.topic_allowlist", .strings, "only these topics are accepted (403 otherwise); unset accepts any", current: { $0.topicAllowlist?.joined(separator: ",") ?? "(any)" }) { s, v throws(ServiceSettingsError) in
            s.topicAllowlist = try v.strings("http.topic_allowlist")
        },
        SettingsKey("admin.host", .string, "admin listener address; beyond loopback it needs admin.token", current: { $0.adminHost }) { s, v throws(ServiceSettingsError) in s.adminHost = try v.string("admin.host") },
        SettingsKey("admin.port", .int, "admin listener port", current: { "\($0.adminPort)" }) { s, v throws(ServiceSettingsError) in s.adminPort = try v.int("admin.port") },
        SettingsKey("admin.token", .string, "bearer token for the admin API (16+ characters)", secret: true, current: { $0.adminToken == nil ? "(none)" : "(set)" }) { s, v throws(ServiceSettingsError) in
            s.adminToken = try v.string("admin.token")
        },
    ]

    static let kafka: [SettingsKey] = [
        SettingsKey("kafka.bootstrap_servers", .strings, "brokers, host:port, comma-separated in env", current: { $0.pipeline.kafka.bootstrapServers.joined(separator: ",") }) { s, v throws(ServiceSettingsError) in
            s.pipeline.kafka.bootstrapServers = try v.strings("kafka.bootstrap_servers")
        },
        SettingsKey("kafka.mock", .bool, "send to librdkafka's in-process mock cluster (dev mode)", current: { "\($0.kafkaMock)" }) { s, v throws(ServiceSettingsError) in s.kafkaMock = try v.bool("kafka.mock") },
        SettingsKey("kafka.client_id", .string, "client.id", current: { $0.pipeline.kafka.clientID }) { s, v throws(ServiceSettingsError) in s.pipeline.kafka.clientID = try v.string("kafka.client_id") },
        SettingsKey("kafka.acks", .string, "all, leader or none", current: { $0.pipeline.kafka.acks.rawValue }) { s, v throws(ServiceSettingsError) in
            s.pipeline.kafka.acks = try v.choice("kafka.acks", KafkaConfiguration.Acks.self)
        },
        SettingsKey("kafka.compression", .string, "none, gzip, snappy, lz4 or zstd", current: { $0.pipeline.kafka.compression.rawValue }) { s, v throws(ServiceSettingsError) in
            s.pipeline.kafka.compression = try v.choice("kafka.compression", KafkaConfiguration.Compression.self)
        },
        SettingsKey("kafka.linger_ms", .int, "linger.ms", current: { ms($0.pipeline.kafka.linger) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.kafka.linger = .milliseconds(try v.int("kafka.linger_ms"))
        },
        SettingsKey("kafka.message_timeout_ms", .int, "longest a record may stay in flight before it goes back to the spool", current: { ms($0.pipeline.kafka.messageTimeout) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.kafka.messageTimeout = .milliseconds(try positive("kafka.message_timeout_ms", v.int("kafka.message_timeout_ms")))
        },
    ]

    static let spool: [SettingsKey] = [
        SettingsKey("spool.path", .string, "the spool file", current: { $0.pipeline.spool.path }) { s, v throws(ServiceSettingsError) in s.pipeline.spool.path = try v.string("spool.path") },
        SettingsKey("spool.max_bytes", .int, "bound on the spool file", current: { "\($0.pipeline.spool.maxBytes)" }) { s, v throws(ServiceSettingsError) in s.pipeline.spool.maxBytes = try v.int("spool.max_bytes") },
        SettingsKey("spool.max_records", .int, "bound on spooled records", current: { "\($0.pipeline.spool.maxRecords)" }) { s, v throws(ServiceSettingsError) in s.pipeline.spool.maxRecords = try v.int("spool.max_records") },
        SettingsKey("spool.durability", .string, "normal or full", current: { $0.pipeline.spool.durability.rawValue }) { s, v throws(ServiceSettingsError) in
            s.pipeline.spool.durability = try v.choice("spool.durability", SpoolConfiguration.Durability.self)
        },
        SettingsKey("spool.integrity_check", .string, "quick, full or skip, at start", current: { $0.pipeline.spool.integrityCheck.rawValue }) { s, v throws(ServiceSettingsError) in
            s.pipeline.spool.integrityCheck = try v.choice("spool.integrity_check", SpoolConfiguration.IntegrityCheck.self)
        },
        SettingsKey("spool.batch_size", .int, "records per spool transaction", current: { "\($0.pipeline.spoolBatchSize)" }) { s, v throws(ServiceSettingsError) in s.pipeline.spoolBatchSize = try v.int("spool.batch_size") },
    ]

    static let queues: [SettingsKey] = [
        SettingsKey("queue.max_records", .int, "live queue plus in flight, records", current: { "\($0.pipeline.queue.maxRecords)" }) { s, v throws(ServiceSettingsError) in s.pipeline.queue.maxRecords = try v.int("queue.max_records") },
        SettingsKey("queue.max_bytes", .int, "live queue plus in flight, bytes", current: { "\($0.pipeline.queue.maxBytes)" }) { s, v throws(ServiceSettingsError) in s.pipeline.queue.maxBytes = try v.int("queue.max_bytes") },
        SettingsKey("spool_handoff.max_records", .int, "records waiting for the spool writer", current: { "\($0.pipeline.spoolHandoff.maxRecords)" }) { s, v throws(ServiceSettingsError) in s.pipeline.spoolHandoff.maxRecords = try v.int("spool_handoff.max_records") },
        SettingsKey("spool_handoff.max_bytes", .int, "bytes waiting for the spool writer", current: { "\($0.pipeline.spoolHandoff.maxBytes)" }) { s, v throws(ServiceSettingsError) in s.pipeline.spoolHandoff.maxBytes = try v.int("spool_handoff.max_bytes") },
        SettingsKey("max_record_bytes", .int, "largest record (key + value + headers)", current: { "\($0.pipeline.maxRecordBytes)" }) { s, v throws(ServiceSettingsError) in s.pipeline.maxRecordBytes = try v.int("max_record_bytes") },
    ]

    static let breaker: [SettingsKey] = [
        SettingsKey("breaker.window_size", .int, "calls in the sliding window", current: { "\($0.pipeline.breaker.windowSize)" }) { s, v throws(ServiceSettingsError) in s.pipeline.breaker.windowSize = try v.int("breaker.window_size") },
        SettingsKey("breaker.minimum_calls", .int, "fewest calls for a verdict", current: { "\($0.pipeline.breaker.minimumCalls)" }) { s, v throws(ServiceSettingsError) in s.pipeline.breaker.minimumCalls = try v.int("breaker.minimum_calls") },
        SettingsKey("breaker.failure_rate_threshold", .double, "trip at this failure rate (0-1)", current: { "\($0.pipeline.breaker.failureRateThreshold)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.failureRateThreshold = try v.double("breaker.failure_rate_threshold")
        },
        SettingsKey("breaker.slow_call_ms", .int, "an acknowledgement slower than this is slow", current: { ms($0.pipeline.breaker.slowCallDuration) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.slowCallDuration = .milliseconds(try v.int("breaker.slow_call_ms"))
        },
        SettingsKey("breaker.slow_call_rate_threshold", .double, "trip at this slow-call rate (0-1)", current: { "\($0.pipeline.breaker.slowCallRateThreshold)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.slowCallRateThreshold = try v.double("breaker.slow_call_rate_threshold")
        },
        SettingsKey("breaker.open_ms", .int, "first open interval", current: { ms($0.pipeline.breaker.openDuration) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.openDuration = .milliseconds(try v.int("breaker.open_ms"))
        },
        SettingsKey("breaker.max_open_ms", .int, "cap on the open interval", current: { ms($0.pipeline.breaker.maxOpenDuration) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.maxOpenDuration = .milliseconds(try v.int("breaker.max_open_ms"))
        },
        SettingsKey("breaker.backoff_multiplier", .double, "open interval growth per reopening", current: { "\($0.pipeline.breaker.backoffMultiplier)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.backoffMultiplier = try v.double("breaker.backoff_multiplier")
        },
        SettingsKey("breaker.jitter", .double, "random spread of the open interval (0-1)", current: { "\($0.pipeline.breaker.jitter)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.jitter = try v.double("breaker.jitter")
        },
        SettingsKey("breaker.probe_interval_ms", .int, "while open, probe Kafka this often", current: { ms($0.pipeline.breaker.probeInterval) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.probeInterval = .milliseconds(try v.int("breaker.probe_interval_ms"))
        },
        SettingsKey("breaker.probe_max_interval_ms", .int, "cap on the probe interval as probes keep failing", current: { ms($0.pipeline.breaker.probeMaxInterval) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.probeMaxInterval = .milliseconds(try v.int("breaker.probe_max_interval_ms"))
        },
        SettingsKey("breaker.half_open_trial_calls", .int, "trial records while half-open", current: { "\($0.pipeline.breaker.halfOpenTrialCalls)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.halfOpenTrialCalls = try v.int("breaker.half_open_trial_calls")
        },
        SettingsKey("breaker.half_open_idle_ms", .int, "half-open with no traffic this long closes on the probe's word", current: { ms($0.pipeline.breaker.halfOpenIdleTimeout) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.halfOpenIdleTimeout = .milliseconds(try v.int("breaker.half_open_idle_ms"))
        },
        SettingsKey("breaker.probe_timeout_ms", .int, "metadata probe timeout", current: { ms($0.pipeline.breaker.probeTimeout) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.probeTimeout = .milliseconds(try v.int("breaker.probe_timeout_ms"))
        },
        SettingsKey("breaker.connect_grace_ms", .int, "before a first acknowledgement, waits count as slow only after this", current: { ms($0.pipeline.breaker.connectGrace) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.breaker.connectGrace = .milliseconds(try v.int("breaker.connect_grace_ms"))
        },
    ]

    static let replay: [SettingsKey] = [
        SettingsKey("replay.records_per_second", .double, "replay ceiling, records/s", current: { "\($0.pipeline.replay.recordsPerSecond)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.replay.recordsPerSecond = try v.double("replay.records_per_second")
        },
        SettingsKey("replay.bytes_per_second", .double, "replay ceiling, bytes/s", current: { "\($0.pipeline.replay.bytesPerSecond)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.replay.bytesPerSecond = try v.double("replay.bytes_per_second")
        },
        SettingsKey("replay.min_records_per_second", .double, "replay floor, records/s; the adaptive rate never goes below it", current: { "\($0.pipeline.replay.minRecordsPerSecond)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.replay.minRecordsPerSecond = try v.double("replay.min_records_per_second")
        },
        SettingsKey("replay.batch_size", .int, "records read per replay batch", current: { "\($0.pipeline.replay.batchSize)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.replay.batchSize = try v.int("replay.batch_size")
        },
    ]

    static let acks: [SettingsKey] = [
        SettingsKey("ack.default", .string, "memory, spool or kafka: the level of a request without X-Spillway-Ack", current: { $0.ackDefault.rawValue }) { s, v throws(ServiceSettingsError) in
            s.ackDefault = try v.choice("ack.default", AckLevel.self)
        },
        SettingsKey("ack.topics", .strings, "per-topic levels, topic=level (comma-separated in env)", current: { s in
            s.ackTopics.isEmpty ? "(none)" : s.ackTopics.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: ",")
        }) { s, v throws(ServiceSettingsError) in
            s.ackTopics = try ServiceSettings.ackTopics(v.strings("ack.topics"))
        },
        SettingsKey("ack.timeout_ms", .int, "longest a spool or kafka request waits for its answer", current: { ms($0.pipeline.ack.timeout) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.ack.timeout = .milliseconds(try positive("ack.timeout_ms", v.int("ack.timeout_ms")))
        },
        SettingsKey("ack.max_pending_records", .int, "requests' records waiting at once; past it they are answered at once (ack_capacity)", current: { "\($0.pipeline.ack.maxPendingRecords)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.ack.maxPendingRecords = try positive("ack.max_pending_records", v.int("ack.max_pending_records"))
        },
        SettingsKey("ack.max_pending_bytes", .int, "the same bound in payload bytes", current: { "\($0.pipeline.ack.maxPendingBytes)" }) { s, v throws(ServiceSettingsError) in
            s.pipeline.ack.maxPendingBytes = try positive("ack.max_pending_bytes", v.int("ack.max_pending_bytes"))
        },
    ]

    static let general: [SettingsKey] = [
        SettingsKey("ordering", .string, "live-first or fifo", current: { $0.pipeline.ordering.rawValue }) { s, v throws(ServiceSettingsError) in
            s.pipeline.ordering = try v.choice("ordering", SpillwayConfiguration.Ordering.self)
        },
        SettingsKey("shutdown_deadline_ms", .int, "in-flight grace on shutdown", current: { ms($0.pipeline.shutdownDeadline) }) { s, v throws(ServiceSettingsError) in
            s.pipeline.shutdownDeadline = .milliseconds(try v.int("shutdown_deadline_ms"))
        },
        SettingsKey("log_level", .string, "trace, debug, info, notice, warning, error or critical", current: { $0.logLevel }) { s, v throws(ServiceSettingsError) in
            s.logLevel = try v.string("log_level")
        },
    ]
}

/// What the CLI shows of the keys (`config keys`, `config check`).
public struct DocumentedKey: Sendable {
    public let name: String
    public let type: String
    public let help: String
    let key: SettingsKey

    /// The key's value in `settings`; secrets are not shown.
    public func value(_ settings: ServiceSettings) -> String {
        key.current(settings)
    }
}

extension SettingsKeys {
    public static var documented: [DocumentedKey] {
        all.map { DocumentedKey(name: $0.name, type: $0.kind.rawValue, help: $0.help, key: $0) }
    }
}
