import Spillway
import SpillwaySpool

/// `GET /v1/status`: everything an operator needs at 3 a.m., in one document.
struct StatusDocument: Encodable {
    struct Breaker: Encodable {
        var mode: String
        var state: String
        var windowCalls: Int
        var failureRate: Double
        var slowRate: Double
        var consecutiveOpenings: Int
        var lastTransition: String?
        var lastReason: String?
        var nextProbeInSeconds: Double?
        var lastProbeFailure: String?
        var transitions: [String: Int]
    }

    struct Replay: Encodable {
        var paused: Bool
        var currentRate: Double
        var recordsPerSecond: Double
        var bytesPerSecond: Double
    }

    struct Spool: Encodable {
        var available: Bool
        var ready: Int
        var readyBytes: Int
        var deadLetters: Int
        var deadLetterBytes: Int
        var evictedLifetime: Int
        /// Escrow copies of records sent at ack level kafka, not answered by Kafka yet.
        var escrowRecords: Int
    }

    /// Acknowledgement levels: records asked for at spool and kafka, their answers, who waits now.
    struct Acks: Encodable {
        var pendingRecords: Int
        var pendingBytes: Int
        var acceptedSpool: Int
        var acceptedKafka: Int
        var answered: [AckCounts.Answered]
    }

    struct Limits: Encodable {
        var queueMaxRecords: Int
        var spoolMaxBytes: Int
        var spoolMaxRecords: Int
    }

    var running: Bool
    var breaker: Breaker
    var ledger: Ledger
    /// `accepted + recovered - (delivered + queued + in_flight + spooled + dropped)`: always 0.
    var imbalance: Int
    var replay: Replay
    var spool: Spool
    var acks: Acks
    var lastError: String?
    var limits: Limits?

    init(_ status: SpillwayStatus, configuration: SpillwayConfiguration? = nil) {
        limits = configuration.map {
            Limits(queueMaxRecords: $0.queue.maxRecords, spoolMaxBytes: $0.spool.maxBytes, spoolMaxRecords: $0.spool.maxRecords)
        }
        running = status.running
        breaker = Breaker(
            mode: status.breaker.mode.rawValue,
            state: status.breaker.state.rawValue,
            windowCalls: status.breaker.windowCalls,
            failureRate: status.breaker.failureRate,
            slowRate: status.breaker.slowRate,
            consecutiveOpenings: status.breaker.consecutiveOpenings,
            lastTransition: status.breaker.lastTransition,
            lastReason: status.breaker.lastReason,
            nextProbeInSeconds: status.breaker.nextProbeInSeconds.map { ($0 * 10).rounded() / 10 },
            lastProbeFailure: status.breaker.lastProbeFailure,
            transitions: status.breaker.transitions
        )
        ledger = status.ledger
        imbalance = status.ledger.imbalance
        replay = Replay(
            paused: status.replayPaused,
            currentRate: status.replayRate,
            recordsPerSecond: status.replayConfiguration.recordsPerSecond,
            bytesPerSecond: status.replayConfiguration.bytesPerSecond
        )
        spool = Spool(
            available: status.spoolAvailable,
            ready: status.spool.readyCount,
            readyBytes: status.spool.readyBytes,
            deadLetters: status.spool.deadCount,
            deadLetterBytes: status.spool.deadBytes,
            evictedLifetime: status.spool.evictedCount,
            escrowRecords: status.spool.escrowCount
        )
        acks = Acks(
            pendingRecords: status.acks.pendingRecords,
            pendingBytes: status.acks.pendingBytes,
            acceptedSpool: status.acks.accepted(.spool),
            acceptedKafka: status.acks.accepted(.kafka),
            answered: status.acks.answered
        )
        lastError = status.lastError
    }
}
