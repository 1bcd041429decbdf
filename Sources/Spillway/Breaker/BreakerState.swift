/// Where the automatic breaker stands.
public enum BreakerState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Records flow to Kafka.
    case closed
    /// Records go to the spool; a probe checks Kafka after each open interval.
    case open
    /// A few trial records test Kafka before traffic resumes.
    case halfOpen = "half-open"
}
