import Foundation

/// The Kafka cluster and producer settings. Typed fields for the common ones;
/// `properties` passes anything else straight to librdkafka (TLS, SASL, …) and wins over them.
public struct KafkaConfiguration: Sendable, Hashable {
    /// Which replicas must acknowledge a record.
    public enum Acks: String, Sendable, Hashable, CaseIterable {
        case all
        case leader
        case none

        var property: String {
            switch self {
            case .all: "-1"
            case .leader: "1"
            case .none: "0"
            }
        }
    }

    public enum Compression: String, Sendable, Hashable, CaseIterable {
        case none, gzip, snappy, lz4, zstd
    }

    public var bootstrapServers: [String]
    public var clientID: String
    public var acks: Acks
    public var compression: Compression
    /// How long librdkafka waits to fill a batch.
    public var linger: Duration
    /// Bounds the time a record may spend in flight; then it fails back to the spool.
    public var messageTimeout: Duration
    /// Raw librdkafka properties, applied last.
    public var properties: [String: String]

    public init(
        bootstrapServers: [String] = ["localhost:9092"],
        clientID: String = "spillway",
        acks: Acks = .all,
        compression: Compression = .none,
        linger: Duration = .milliseconds(5),
        messageTimeout: Duration = .seconds(30),
        properties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.acks = acks
        self.compression = compression
        self.linger = linger
        self.messageTimeout = messageTimeout
        self.properties = properties
    }

    /// Whether a librdkafka property holds a credential (a password, a secret,
    /// a private key, a JAAS or OAuth configuration): its value is never printed.
    public static func isSecretProperty(_ name: String) -> Bool {
        let name = name.lowercased()
        return ["password", "secret", "jaas"].contains { name.contains($0) }
            || ["ssl.key.pem", "ssl_key", "sasl.oauthbearer.config"].contains(name)
    }

    /// `text` with the value of every secret property replaced, for messages
    /// that may quote what librdkafka was given.
    public func maskingSecrets(in text: String) -> String {
        var masked = text
        for (name, value) in properties where Self.isSecretProperty(name) && !value.isEmpty {
            masked = masked.replacingOccurrences(of: value, with: "(secret)")
        }
        return masked
    }

    /// Sends to librdkafka's in-process mock cluster instead of `bootstrapServers`:
    /// the whole flow with no Kafka installed (`spillway serve --dev`).
    public mutating func useInProcessMockCluster() {
        properties["test.mock.num.brokers"] = "1"
        // The mock cluster is chatty at librdkafka's default level.
        if properties["log_level"] == nil { properties["log_level"] = "3" }
    }

    /// Checks every property with librdkafka itself, so a misspelt or invalid
    /// one is named by `config check`, not only when the producer is built.
    func validateProperties(maxMessages: Int, maxBytes: Int) throws(SpillwayConfigurationError) {
        try RDKafkaConfig.check(self, maxMessages: maxMessages, maxBytes: maxBytes)
    }

    /// The librdkafka properties for a producer whose own queue may hold
    /// `maxMessages` records: librdkafka's queue is part of Spillway's memory bound.
    func librdkafkaProperties(maxMessages: Int, maxBytes: Int) -> [String: String] {
        var result: [String: String] = [
            "bootstrap.servers": bootstrapServers.joined(separator: ","),
            "client.id": clientID,
            "acks": acks.property,
            "compression.codec": compression.rawValue,
            "linger.ms": "\(linger.milliseconds)",
            "message.timeout.ms": "\(max(1, messageTimeout.milliseconds))",
            "queue.buffering.max.messages": "\(max(1, maxMessages))",
            "queue.buffering.max.kbytes": "\(max(1, maxBytes / 1024 + 1))",
        ]
        for (names, value) in Self.recoveryDefaults where !names.contains(where: { properties[$0] != nil }) {
            result[names[0]] = value
        }
        if properties["enable.idempotence"] == "true" { result["message.send.max.retries"] = nil }
        for (key, value) in properties { result[key] = value }
        return result
    }

    /// Spillway's own defaults for librdkafka, each with its aliases; any of them
    /// in `properties` wins.
    ///
    /// - At most 5 requests on the wire per broker: what is on the wire when the
    ///   breaker opens finishes or times out (it may be stored), while the rest is
    ///   taken back unsent, so an opening duplicates at most those few requests.
    /// - No retries inside librdkafka: a failed record comes back to Spillway,
    ///   which spools it (marked possibly persisted when its request was on the
    ///   wire) and replays it. A retry behind Spillway's back could duplicate a
    ///   record with nobody knowing; this way every duplicate is explained.
    /// - Reconnect within 200 ms: a probe can only see a recovered broker once
    ///   librdkafka has reconnected, and its default backoff grows to 10 s. With
    ///   1 s, detection after a 15 s outage took 1.0–1.7 s; with 200 ms, 1.0 s
    ///   (BENCHMARKS.md, "Outage recovery").
    static let recoveryDefaults: [([String], String)] = [
        (["max.in.flight.requests.per.connection", "max.in.flight"], "5"),
        (["message.send.max.retries", "retries"], "0"),
        (["reconnect.backoff.max.ms"], "200"),
    ]
}
