import Foundation

/// One `GET /v1/status` reading, as `spillway top` keeps it.
struct StatusSample: Decodable, Sendable {
    struct Breaker: Decodable, Sendable {
        var mode: String
        var state: String
        var lastReason: String?
    }

    struct Ledger: Decodable, Sendable {
        var accepted: Int
        var recovered: Int
        var delivered: Int
        var replayed: Int
        var queued: Int
        var inFlight: Int
        var spooled: Int
        var spilled: Int
        var dropped: [String: Int]
        var deadLettered: Int

        var droppedTotal: Int { dropped.values.reduce(0, +) }
    }

    struct Replay: Decodable, Sendable {
        var paused: Bool
        var currentRate: Double
        var recordsPerSecond: Double
    }

    struct Spool: Decodable, Sendable {
        var ready: Int
        var readyBytes: Int
        var deadLetters: Int
    }

    struct Limits: Decodable, Sendable {
        var queueMaxRecords: Int
        var spoolMaxBytes: Int
        var spoolMaxRecords: Int
    }

    var breaker: Breaker
    var ledger: Ledger
    var imbalance: Int
    var replay: Replay
    var spool: Spool
    var limits: Limits?
    var lastError: String?
    /// When it was taken (not part of the document).
    var takenAt: Date = Date()

    enum CodingKeys: String, CodingKey {
        case breaker, ledger, imbalance, replay, spool, limits, lastError
    }

    static func decode(_ data: Data, at date: Date = Date()) throws -> StatusSample {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var sample = try decoder.decode(StatusSample.self, from: data)
        sample.takenAt = date
        return sample
    }
}
