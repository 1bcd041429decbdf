/// The breaker as status pages show it.
public struct BreakerSnapshot: Sendable, Hashable, Codable {
    public var mode: BreakerMode = .auto
    public var state: BreakerState = .closed
    /// Calls in the sliding window, and the rates over them.
    public var windowCalls = 0
    public var failureRate = 0.0
    public var slowRate = 0.0
    public var consecutiveOpenings = 0
    /// The last transition and why it happened.
    public var lastTransition: String?
    public var lastReason: String?
    /// While open under automatic control: seconds until the next probe of Kafka.
    public var nextProbeInSeconds: Double?
    /// While open under automatic control: seconds until traffic may be tried
    /// again (the open interval), if a probe finds Kafka answering.
    public var trafficRetryInSeconds: Double?
    /// What the last failed probe found, while the breaker has not closed since.
    public var lastProbeFailure: String?
    /// Transitions so far, by kind (`closed->open`, …).
    public var transitions: [String: Int] = [:]

    public init() {}
}
