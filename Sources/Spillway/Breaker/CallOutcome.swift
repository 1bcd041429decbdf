/// What one delivery to Kafka told the breaker.
public enum CallOutcome: Sendable, Hashable {
    /// Acknowledged, after this long.
    case success(latency: Duration)
    /// Still unacknowledged after the slow-call duration: counts as slow now, and
    /// its eventual delivery report is not counted again.
    case slowInFlight
    /// Failed for a reason about the cluster (timeout, broker down, …).
    case failure(reason: String)
}
