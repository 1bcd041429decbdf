/// Who decides: the breaker itself, or an operator. A forced mode holds until an operator releases it.
public enum BreakerMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The breaker trips and heals by itself.
    case auto
    /// Spool everything, send nothing, probe nothing.
    case forcedOpen = "open"
    /// Always send; never trips by itself (records still spill when the queue is full).
    case forcedClosed = "closed"
}
