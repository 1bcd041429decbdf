import Spillway
import SpillwaySpool

/// Everything `spillway serve` is configured with: the listeners and the
/// pipeline. A value type with the embedded defaults: no file needed to start.
public struct ServiceSettings: Sendable {
    /// The ingest listener.
    public var httpHost = "127.0.0.1"
    public var httpPort = 8080
    /// Largest request body accepted, in bytes; larger ones get 413.
    public var maxBodyBytes = 10 << 20
    /// When set, only these topics are accepted (others get 403).
    public var topicAllowlist: [String]?

    /// The admin listener: status, breaker control, metrics.
    public var adminHost = "127.0.0.1"
    public var adminPort = 8081
    /// Bearer token for the admin API; required when it listens beyond loopback.
    public var adminToken: String?

    /// Start librdkafka's in-process mock cluster and send there (no Kafka needed).
    public var kafkaMock = false
    public var logLevel = "info"

    /// The acknowledgement level of a request without `X-Spillway-Ack`, unless its
    /// topic has one of its own in `ackTopics`.
    public var ackDefault = AckLevel.memory
    public var ackTopics: [String: AckLevel] = [:]

    /// The pipeline itself.
    public var pipeline: SpillwayConfiguration

    public init() {
        pipeline = SpillwayConfiguration()
        pipeline.spool.path = "spillway-data/spool.db"
    }

    /// Refuses settings that are unsafe or make no sense, naming the key.
    public func validate() throws(ServiceSettingsError) {
        if !(0...65535).contains(httpPort) { throw ServiceSettingsError(key: "http.port", "must be between 0 and 65535") }
        if !(0...65535).contains(adminPort) { throw ServiceSettingsError(key: "admin.port", "must be between 0 and 65535") }
        if maxBodyBytes < 1 { throw ServiceSettingsError(key: "http.max_body_bytes", "must be at least 1") }
        if let allowlist = topicAllowlist {
            for topic in allowlist where TopicName.problem(with: topic) != nil {
                throw ServiceSettingsError(key: "http.topic_allowlist", "\"\(topic)\" is not a valid topic name: \(TopicName.problem(with: topic)!)")
            }
        }
        for topic in ackTopics.keys where TopicName.problem(with: topic) != nil {
            throw ServiceSettingsError(key: "ack.topics", "\"\(topic)\" is not a valid topic name: \(TopicName.problem(with: topic)!)")
        }
        if !Self.isLoopback(adminHost), (adminToken ?? "").isEmpty {
            throw ServiceSettingsError(key: "admin.token", "is required when the admin API listens on \(adminHost), beyond loopback")
        }
        if let token = adminToken, token.count < 16 {
            throw ServiceSettingsError(key: "admin.token", "must be at least 16 characters")
        }
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            throw ServiceSettingsError(key: "log_level", "must be one of trace, debug, info, notice, warning, error, critical")
        }
        do {
            try pipeline.validate()
        } catch {
            throw ServiceSettingsError(key: "pipeline", Self.inSettingsTerms(error.description))
        }
    }

    /// The level a request for `topic` gets when it names none.
    public func ackLevel(forTopic topic: String) -> AckLevel {
        ackTopics[topic] ?? ackDefault
    }

    /// `topic=level` entries, as `ack.topics` takes them.
    static func ackTopics(_ entries: [String]) throws(ServiceSettingsError) -> [String: AckLevel] {
        var topics: [String: AckLevel] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let level = AckLevel(rawValue: parts[1]) else {
                throw ServiceSettingsError(key: "ack.topics", "\"\(entry)\" must be topic=level, with a level of memory, spool or kafka")
            }
            guard topics.updateValue(level, forKey: parts[0]) == nil else {
                throw ServiceSettingsError(key: "ack.topics", "topic \"\(parts[0])\" is given twice")
            }
        }
        return topics
    }

    /// The library names its fields (`breaker.failureRateThreshold`); people set keys
    /// (`breaker.failure_rate_threshold`). Longest names first, so no name is replaced inside another.
    static func inSettingsTerms(_ message: String) -> String {
        var result = message
        for (field, key) in libraryFieldKeys.sorted(by: { $0.key.count > $1.key.count }) {
            result = result.replacingOccurrences(of: field, with: key)
        }
        return result
    }

    static let libraryFieldKeys: [String: String] = [
        "breaker.windowSize": "breaker.window_size", "breaker.minimumCalls": "breaker.minimum_calls",
        "breaker.failureRateThreshold": "breaker.failure_rate_threshold", "breaker.slowCallRateThreshold": "breaker.slow_call_rate_threshold",
        "breaker.slowCallDuration": "breaker.slow_call_ms", "breaker.openDuration": "breaker.open_ms",
        "breaker.maxOpenDuration": "breaker.max_open_ms", "breaker.backoffMultiplier": "breaker.backoff_multiplier",
        "breaker.halfOpenTrialCalls": "breaker.half_open_trial_calls", "breaker.probeTimeout": "breaker.probe_timeout_ms",
        "breaker.connectGrace": "breaker.connect_grace_ms",
        "replay.recordsPerSecond": "replay.records_per_second", "replay.bytesPerSecond": "replay.bytes_per_second",
        "replay.minRecordsPerSecond": "replay.min_records_per_second", "replay.batchSize": "replay.batch_size",
        "breaker.probeInterval": "breaker.probe_interval_ms", "breaker.probeMaxInterval": "breaker.probe_max_interval_ms",
        "queue.maxRecords": "queue.max_records", "queue.maxBytes": "queue.max_bytes",
        "spoolHandoff.maxRecords": "spool_handoff.max_records", "spoolHandoff.maxBytes": "spool_handoff.max_bytes",
        "maxRecordBytes": "max_record_bytes", "kafka.bootstrapServers": "kafka.bootstrap_servers",
        "kafka.messageTimeout": "kafka.message_timeout_ms", "spoolBatchSize": "spool.batch_size", "shutdownDeadline": "shutdown_deadline_ms",
        "spool path": "spool.path", "spool maxBytes": "spool.max_bytes", "spool maxRecords": "spool.max_records",
        "ack.timeout": "ack.timeout_ms", "ack.maxPendingRecords": "ack.max_pending_records", "ack.maxPendingBytes": "ack.max_pending_bytes",
    ]

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// A configuration problem, named by its key.
public struct ServiceSettingsError: Error, Sendable, CustomStringConvertible {
    /// The key, or the file's path for a problem with the file itself.
    public var key: String
    public var message: String
    /// The problem is the configuration file as a whole (missing, not JSON), not one key.
    public var isFile = false

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public init(file: String, _ message: String) {
        self.init(key: file, message)
        isFile = true
    }

    public var description: String {
        if isFile { return "configuration file \(key): \(message)" }
        return key == "pipeline" ? "configuration: \(message)" : "configuration key \(key): \(message)"
    }
}
