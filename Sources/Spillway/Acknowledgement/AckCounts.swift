/// Figures on acknowledgement levels, kept with the ledger under the pipeline's
/// lock: how many records were asked for at `spool` and `kafka`, and how their
/// callers were answered. Not terms of the conservation equation: every record
/// is counted there whatever its level.
public struct AckCounts: Sendable, Hashable {
    /// One answer, as counted: the level asked, the disposition's name, and the reason.
    public struct Answered: Sendable, Hashable, Codable {
        public var level: AckLevel
        /// `delivered`, `queued`, `spooled`, `dropped` or `rejected`.
        public var outcome: String
        public var reason: AckReason?
        public var count: Int
    }

    static let outcomes = ["delivered", "queued", "spooled", "dropped", "rejected"]
    private static let reasons: [AckReason?] = [nil] + AckReason.allCases.map { $0 }

    private var acceptedByLevel = [Int](repeating: 0, count: AckLevel.allCases.count)
    private var cells = [Int](repeating: 0, count: AckLevel.allCases.count * outcomes.count * reasons.count)
    /// Callers waiting now, and the payload bytes of their records.
    public internal(set) var pendingRecords = 0
    public internal(set) var pendingBytes = 0

    public init() {}

    /// Records accepted by `send(…, ack:)` at `level` (`spool` or `kafka`): those the
    /// ledger counts as accepted, whatever became of them. Records at `memory` are
    /// the rest of `Ledger.accepted`.
    public func accepted(_ level: AckLevel) -> Int {
        acceptedByLevel[Self.index(level)]
    }

    /// Every combination of level, outcome and reason answered at least once.
    public var answered: [Answered] {
        var list: [Answered] = []
        for level in AckLevel.allCases {
            for (outcomeIndex, outcome) in Self.outcomes.enumerated() {
                for (reasonIndex, reason) in Self.reasons.enumerated() {
                    let count = cells[Self.cell(level, outcomeIndex, reasonIndex)]
                    if count > 0 { list.append(Answered(level: level, outcome: outcome, reason: reason, count: count)) }
                }
            }
        }
        return list
    }

    /// Answers at `level`, with any outcome and reason.
    public func answered(_ level: AckLevel) -> Int {
        answered.filter { $0.level == level }.reduce(0) { $0 + $1.count }
    }

    /// Answers at `level` with `reason`.
    public func answered(_ level: AckLevel, reason: AckReason) -> Int {
        answered.filter { $0.level == level && $0.reason == reason }.reduce(0) { $0 + $1.count }
    }

    mutating func countAccepted(_ level: AckLevel) {
        acceptedByLevel[Self.index(level)] += 1
    }

    mutating func countAnswer(_ level: AckLevel, _ acknowledgement: Acknowledgement) {
        let reasonIndex = acknowledgement.reason.map { 1 + AckReason.allCases.firstIndex(of: $0)! } ?? 0
        cells[Self.cell(level, Self.outcomeIndex(acknowledgement.disposition), reasonIndex)] += 1
    }

    private static func index(_ level: AckLevel) -> Int {
        switch level {
        case .memory: 0
        case .spool: 1
        case .kafka: 2
        }
    }

    private static func outcomeIndex(_ disposition: Disposition) -> Int {
        switch disposition {
        case .delivered: 0
        case .queued: 1
        case .spooled: 2
        case .dropped: 3
        case .rejected: 4
        }
    }

    private static func cell(_ level: AckLevel, _ outcome: Int, _ reason: Int) -> Int {
        (index(level) * outcomes.count + outcome) * reasons.count + reason
    }
}
