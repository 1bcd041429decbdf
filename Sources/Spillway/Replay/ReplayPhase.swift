/// What replay is doing and why, as status pages, `spillway top`, the log and
/// `/metrics` show it.
public enum ReplayPhase: String, Sendable, Hashable, Codable, CaseIterable {
    /// Nothing to replay.
    case idle
    /// An operator paused replay.
    case paused
    /// The breaker is open: nothing goes to Kafka.
    case waiting
    /// Deliveries are as fast as the healthy baseline: the rate grows.
    case ramping
    /// Deliveries are slower than the baseline, not alarmingly, and getting slower: the rate holds.
    case holding
    /// Deliveries slowed down or failed: the rate was halved.
    case backingOff = "backing-off"
    /// At the operators' ceiling.
    case atCeiling = "at-ceiling"

    /// Whether records are being replayed in this phase.
    public var isReplaying: Bool {
        switch self {
        case .ramping, .holding, .backingOff, .atCeiling: true
        case .idle, .paused, .waiting: false
        }
    }
}
