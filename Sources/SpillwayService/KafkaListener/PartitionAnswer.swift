import Spillway
import SpillwayKafkaWire

/// What a producer is told about one partition's records once Spillway has
/// answered each: the truth about where they got to, in Kafka's terms.
///
/// - All reached the level asked: no error, with Kafka's offset of the first
///   record when all are in Kafka one after another, else -1 (some committed to
///   Spillway's spool, or split upstream by other records).
/// - Any was dropped: a retriable error, so the client's own retry applies; never
///   a silent success.
/// - Any was answered at its deadline before reaching the level (still in memory),
///   or past the waiting bound: `REQUEST_TIMED_OUT`, retriable; the records go on,
///   so a retry may duplicate them, as a retry after a timeout does with Kafka.
struct PartitionAnswer: Equatable, Sendable {
    var errorCode: KafkaErrorCode
    var baseOffset: Int64
    var message: String?

    var succeeded: Bool { errorCode == .none }

    static func of(_ acknowledgements: [Acknowledgement], level: AckLevel) -> PartitionAnswer {
        var dropped: [String: Int] = [:]
        var short = 0
        for acknowledgement in acknowledgements {
            switch acknowledgement.disposition {
            case .dropped(let reason): dropped[reason.rawValue, default: 0] += 1
            case .rejected(let rejection): dropped[rejection.code, default: 0] += 1
            case .delivered, .queued, .spooled:
                if !Self.reached(acknowledgement.reached, level) { short += 1 }
            }
        }
        if !dropped.isEmpty {
            let reasons = dropped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            return PartitionAnswer(
                errorCode: .notEnoughReplicas, baseOffset: -1,
                message: "Spillway could not keep \(dropped.values.reduce(0, +)) of \(acknowledgements.count) records (\(reasons)); retry"
            )
        }
        if short > 0 {
            let reason = acknowledgements.compactMap(\.reason).first.map { " (\($0.rawValue))" } ?? ""
            return PartitionAnswer(
                errorCode: .requestTimedOut, baseOffset: -1,
                message: "\(short) of \(acknowledgements.count) records had not reached \(level.rawValue) when answered\(reason); they are still on their way"
            )
        }
        return PartitionAnswer(errorCode: .none, baseOffset: contiguousBaseOffset(of: acknowledgements) ?? -1, message: nil)
    }

    /// Kafka's offset of the first record, when every record is in Kafka right
    /// after the one before. A client takes record `i` to be at base + `i` (a
    /// broker appends a batch whole); Spillway's records can be split by others'
    /// or left partly in the spool, and then no base offset is the truth.
    static func contiguousBaseOffset(of acknowledgements: [Acknowledgement]) -> Int64? {
        guard let first = acknowledgements.first, first.reached == .kafka, let base = first.offset, base >= 0 else { return nil }
        for (index, acknowledgement) in acknowledgements.enumerated().dropFirst() {
            guard acknowledgement.reached == .kafka, acknowledgement.partition == first.partition,
                  acknowledgement.offset == base + Int64(index) else { return nil }
        }
        return base
    }

    /// Whether `reached` is at least `level`: memory < spool < kafka.
    static func reached(_ reached: AckLevel?, _ level: AckLevel) -> Bool {
        guard let reached else { return false }
        switch level {
        case .memory: return true
        case .spool: return reached != .memory
        case .kafka: return reached != .memory
        }
    }
}
