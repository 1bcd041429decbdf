import Spillway
import SpillwaySpool

/// `GET /v1/status`: everything an operator needs at 3 a.m., in one document.
/// The service encodes it and `spillway status` and `spillway top` decode it, so
/// a field added here (or to the library's `Ledger` or `BreakerSnapshot`, which
/// it carries as they are) reaches every reader with no other edit.
public struct AdminStatus: AdminDocument {
    /// The replay of the spool; also the answer to `PUT /v1/backlog`.
    public struct Replay: AdminDocument {
        public var paused = false
        /// Records per second allowed right now; 0 when there is nothing to replay.
        public var currentRate = 0.0
        /// What the replay controller is doing and why: `ramping`, `holding`,
        /// `backing-off`, `at-ceiling`, `paused`, `waiting` (breaker open), `idle`.
        /// Text, not an enum, so a client reads a service that knows more phases.
        public var phase = "idle"
        /// The ceilings, and the floor the adaptive rate never goes below.
        public var recordsPerSecond = 0.0
        public var bytesPerSecond = 0.0
        public var minRecordsPerSecond = 0.0
        /// In the answer to `PUT /v1/backlog` on a service with several clusters:
        /// those the change was made on (this document is the first one's replay).
        public var clusters: [String]?

        public init() {}
    }

    /// The spool's figures as of its last write.
    public struct Spool: AdminDocument {
        public var available = false
        public var ready = 0
        public var readyBytes = 0
        public var deadLetters = 0
        public var deadLetterBytes = 0
        public var evictedLifetime = 0
        /// Escrow copies of records sent at ack level `kafka`, not answered by Kafka yet.
        public var escrowRecords = 0

        public init() {}
    }

    /// Acknowledgement levels: records asked for at `spool` and `kafka`, their
    /// answers by level, outcome and reason, and who waits now.
    public struct Acks: AdminDocument {
        public var pendingRecords = 0
        public var pendingBytes = 0
        public var acceptedSpool = 0
        public var acceptedKafka = 0
        public var answered: [AckCounts.Answered] = []

        public init() {}
    }

    /// The configured bounds, for fill gauges.
    public struct Limits: AdminDocument {
        public var queueMaxRecords = 0
        public var spoolMaxBytes = 0
        public var spoolMaxRecords = 0

        public init() {}
    }

    /// The Kafka-protocol listener, when it is on: its address and who is connected.
    public struct KafkaListener: Codable, Sendable, Equatable {
        /// Connected Kafka clients, by what they call themselves.
        public struct Client: Codable, Sendable, Equatable {
            /// The client's `client.id` (`-` when it sent none).
            public var clientID: String
            /// Client software and version, from ApiVersions v3 (`-` from older clients).
            public var software: String
            public var connections: Int

            public init(clientID: String, software: String, connections: Int) {
                self.clientID = clientID
                self.software = software
                self.connections = connections
            }
        }

        public var address = ""
        public var connections = 0
        public var clients: [Client] = []

        public init() {}
    }

    public var running = false
    public var breaker = BreakerSnapshot()
    public var ledger = Ledger()
    /// `accepted + recovered - (delivered + queued + in_flight + spooled + dropped)`: always 0.
    public var imbalance = 0
    public var replay = Replay()
    public var spool = Spool()
    public var acks = Acks()
    public var lastError: String?
    /// Set while the loaded librdkafka cannot speak to the broker at all.
    public var kafkaIncompatibility: String?
    public var limits: Limits?
    /// Absent when the Kafka listener is off.
    public var kafkaListener: KafkaListener?
    /// The cluster this document is about, when the service runs several.
    public var cluster: String?
    /// When the service runs several clusters: each one's compartment, `default`
    /// first (whose figures are also this document's top-level ones), with the
    /// topics routed to it.
    public var clusters: [AdminStatus]?
    /// In a cluster's document: the topic names and globs routed to it (`default`: every other topic).
    public var topics: [String]?

    public init() {}

    /// The document for one pipeline snapshot.
    public init(_ status: SpillwayStatus, configuration: SpillwayConfiguration? = nil) {
        running = status.running
        breaker = status.breaker
        breaker.nextProbeInSeconds = status.breaker.nextProbeInSeconds.map { ($0 * 10).rounded() / 10 }
        breaker.trafficRetryInSeconds = status.breaker.trafficRetryInSeconds.map { ($0 * 10).rounded() / 10 }
        ledger = status.ledger
        imbalance = status.ledger.imbalance
        replay.paused = status.replayPaused
        replay.currentRate = status.replayRate
        replay.phase = status.replayPhase.rawValue
        replay.recordsPerSecond = status.replayConfiguration.recordsPerSecond
        replay.bytesPerSecond = status.replayConfiguration.bytesPerSecond
        replay.minRecordsPerSecond = status.replayConfiguration.minRecordsPerSecond
        spool.available = status.spoolAvailable
        spool.ready = status.spool.readyCount
        spool.readyBytes = status.spool.readyBytes
        spool.deadLetters = status.spool.deadCount
        spool.deadLetterBytes = status.spool.deadBytes
        spool.evictedLifetime = status.spool.evictedCount
        spool.escrowRecords = status.spool.escrowCount
        acks.pendingRecords = status.acks.pendingRecords
        acks.pendingBytes = status.acks.pendingBytes
        acks.acceptedSpool = status.acks.accepted(.spool)
        acks.acceptedKafka = status.acks.accepted(.kafka)
        acks.answered = status.acks.answered
        lastError = status.lastError
        kafkaIncompatibility = status.kafkaIncompatibility
        limits = configuration.map {
            var limits = Limits()
            limits.queueMaxRecords = $0.queue.maxRecords
            limits.spoolMaxBytes = $0.spool.maxBytes
            limits.spoolMaxRecords = $0.spool.maxRecords
            return limits
        }
    }
}
