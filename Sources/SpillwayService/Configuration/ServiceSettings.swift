import Spillway
import SpillwaySpool

/// Everything `spillway serve` is configured with: the listeners and the
/// pipeline. A value type with the embedded defaults: no file needed to start.
/// `SettingsKeys` names, documents and bounds each field people can set.
public struct ServiceSettings: Sendable {
    /// The ingest listener.
    public var httpHost = "127.0.0.1"
    public var httpPort = 8080
    /// Largest request body accepted, in bytes; larger ones get 413.
    public var maxBodyBytes = 10 << 20
    /// When set, only these topics are accepted (others get 403).
    public var topicAllowlist: [String]?
    /// Both listeners: a connection with no request in progress is closed after this long.
    public var idleTimeout: Duration = .seconds(60)
    /// Both listeners: from a request's first byte to its complete head.
    public var headerTimeout: Duration = .seconds(10)
    /// Both listeners: from a request's head to the end of its body.
    public var bodyTimeout: Duration = .seconds(60)
    /// Connections the ingest listener holds at once; more wait in the kernel's backlog.
    public var maxConnections = 1024

    /// The admin listener: status, breaker control, metrics.
    public var adminHost = "127.0.0.1"
    public var adminPort = 8081
    /// Bearer token for the admin API; required when it listens beyond loopback.
    public var adminToken: String?
    /// Connections the admin listener holds at once.
    public var adminMaxConnections = 64

    /// The Kafka-protocol listener, on `httpHost`: off unless it has a port (0: any free port).
    public var kafkaListenerPort: Int?
    /// The address Kafka clients are told to connect to (the broker in Metadata
    /// answers); unset: the listener's own address.
    public var kafkaAdvertisedHost: String?
    /// Partitions told for a topic the cluster could not be asked about; its
    /// records go with the partition left to librdkafka's partitioner.
    public var kafkaDefaultPartitions = 1
    /// The acknowledgement levels that a producer's `acks=1` and `acks=all` ask
    /// for (`acks=0` is always `memory`: the protocol has no answer to give).
    public var kafkaAcksOneLevel = AckLevel.spool
    public var kafkaAcksAllLevel = AckLevel.kafka

    /// Start librdkafka's in-process mock cluster and send there (no Kafka needed).
    public var kafkaMock = false
    public var logLevel = "info"
    /// Once the process has grown by this much (an outage's backlog, say), freed
    /// heap is handed back to the kernel; 0: never (`HeapTrimmer`).
    public var heapTrimThreshold = 4 << 20

    /// The acknowledgement level of a request without `X-Spillway-Ack`, unless its
    /// topic has one of its own in `ackTopics`.
    public var ackDefault = AckLevel.memory
    public var ackTopics: [String: AckLevel] = [:]

    /// The pipeline itself: the `default` cluster's compartment.
    public var pipeline: SpillwayConfiguration
    /// More Kafka clusters, each a compartment of its own, with the topics routed to it.
    public var clusters: [ClusterSettings] = []

    public init() {
        pipeline = SpillwayConfiguration()
        pipeline.spool.path = "spillway-data/spool.db"
    }

    /// Refuses settings that are unsafe or make no sense, naming the key: each
    /// key's own range first, then the checks between keys, then the pipeline's.
    public func validate() throws(ServiceSettingsError) {
        for key in SettingsKeys.all {
            if let error = key.check(self) { throw error }
        }
        for rule in SettingsKeys.rules {
            if let error = rule.check(self) { throw error }
        }
        if !LoopbackHost.isLoopback(adminHost), (adminToken ?? "").isEmpty {
            throw ServiceSettingsError(key: SettingsKeys.adminToken.name, "is required when the admin API listens on \(adminHost), beyond loopback")
        }
        if clusters.isEmpty {
            do {
                try pipeline.validate()
            } catch {
                // What the keys' own checks cannot know, such as librdkafka's verdict on a property.
                throw .pipeline(error.description)
            }
        } else {
            try validateClusters()
        }
    }

    /// The level a request for `topic` gets when it names none.
    public func ackLevel(forTopic topic: String) -> AckLevel {
        ackTopics[topic] ?? ackDefault
    }
}
