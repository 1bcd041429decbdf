/// When the breaker trips, how long it stays open, and how it tests the water again.
public struct CircuitBreakerConfiguration: Sendable, Hashable {
    /// Calls remembered in the sliding window (count-based).
    public var windowSize: Int
    /// No verdict until the window holds at least this many calls.
    public var minimumCalls: Int
    /// Trip when this fraction of the window failed (0…1).
    public var failureRateThreshold: Double
    /// An acknowledgement slower than this counts as slow; so does an in-flight record older than it.
    public var slowCallDuration: Duration
    /// Trip when this fraction of the window was slow (0…1).
    public var slowCallRateThreshold: Double
    /// How long traffic stays diverted after the breaker opens, at the least;
    /// each failed half-open trial multiplies it by `backoffMultiplier`, up to
    /// `maxOpenDuration`. Failed probes do not lengthen it.
    public var openDuration: Duration
    public var maxOpenDuration: Duration
    public var backoffMultiplier: Double
    /// Random spread of each open interval and probe interval, as a fraction (0.2 = ±20 %), so a fleet does not probe in step.
    public var jitter: Double
    /// While open, the cluster is probed this often (a metadata request), so its
    /// recovery is noticed within about this long. Each failed probe stretches the
    /// interval by half, up to `probeMaxInterval`.
    public var probeInterval: Duration
    public var probeMaxInterval: Duration
    /// Records sent while half-open; the breaker closes if they fail less than the thresholds.
    public var halfOpenTrialCalls: Int
    /// Half-open with nothing to send as a trial for this long: the probe's success is taken as enough.
    public var halfOpenIdleTimeout: Duration
    /// How long a metadata probe may take before it counts as failed.
    public var probeTimeout: Duration
    /// Until Kafka first acknowledges a record, waiting may be the first
    /// connection (DNS, TLS, SASL, metadata), not ill health. After this long
    /// without one, records in flight count as slow again, so a cluster that
    /// hangs from the start still trips the breaker before librdkafka's timeout.
    public var connectGrace: Duration

    public init(
        windowSize: Int = 100,
        minimumCalls: Int = 20,
        failureRateThreshold: Double = 0.5,
        slowCallDuration: Duration = .seconds(2),
        slowCallRateThreshold: Double = 0.8,
        openDuration: Duration = .seconds(2),
        maxOpenDuration: Duration = .seconds(60),
        backoffMultiplier: Double = 2,
        jitter: Double = 0.2,
        probeInterval: Duration = .milliseconds(250),
        probeMaxInterval: Duration = .milliseconds(500),
        halfOpenTrialCalls: Int = 10,
        halfOpenIdleTimeout: Duration = .milliseconds(500),
        probeTimeout: Duration = .seconds(2),
        connectGrace: Duration = .seconds(10)
    ) {
        self.windowSize = windowSize
        self.minimumCalls = minimumCalls
        self.failureRateThreshold = failureRateThreshold
        self.slowCallDuration = slowCallDuration
        self.slowCallRateThreshold = slowCallRateThreshold
        self.openDuration = openDuration
        self.maxOpenDuration = maxOpenDuration
        self.backoffMultiplier = backoffMultiplier
        self.jitter = jitter
        self.probeInterval = probeInterval
        self.probeMaxInterval = probeMaxInterval
        self.halfOpenTrialCalls = halfOpenTrialCalls
        self.halfOpenIdleTimeout = halfOpenIdleTimeout
        self.probeTimeout = probeTimeout
        self.connectGrace = connectGrace
    }

    private static let minimumCallsRule = "breaker.minimumCalls must be between 1 and breaker.windowSize"
    private static let openDurationRule = "breaker.openDuration must be positive and at most breaker.maxOpenDuration"
    private static let probeIntervalRule = "breaker.probeInterval must be positive and at most breaker.probeMaxInterval"

    /// Settings that must not be above another: checked by `validate()`, and by the
    /// service under its keys' names.
    package static let orders: [ConfigurationOrder<CircuitBreakerConfiguration>] = [
        ConfigurationOrder(\.minimumCalls, atMost: \.windowSize, { _ in minimumCallsRule }),
        ConfigurationOrder(\.openDuration, atMost: \.maxOpenDuration, { _ in openDurationRule }),
        ConfigurationOrder(\.probeInterval, atMost: \.probeMaxInterval, { _ in probeIntervalRule }),
    ]

    /// Names the first setting that makes no sense.
    public func validate() throws(SpillwayConfigurationError) {
        func check(_ condition: Bool, _ message: String) throws(SpillwayConfigurationError) {
            if !condition { throw SpillwayConfigurationError(message) }
        }
        try check(windowSize >= 1, "breaker.windowSize must be at least 1")
        try check(minimumCalls >= 1, Self.minimumCallsRule)
        try check(failureRateThreshold > 0 && failureRateThreshold <= 1, "breaker.failureRateThreshold must be in (0, 1]")
        try check(slowCallRateThreshold > 0 && slowCallRateThreshold <= 1, "breaker.slowCallRateThreshold must be in (0, 1]")
        try check(slowCallDuration > .zero, "breaker.slowCallDuration must be positive")
        try check(openDuration > .zero, Self.openDurationRule)
        try check(backoffMultiplier >= 1 && backoffMultiplier.isFinite, "breaker.backoffMultiplier must be at least 1 and finite")
        try check(jitter >= 0 && jitter < 1, "breaker.jitter must be in [0, 1)")
        try check(probeInterval > .zero, Self.probeIntervalRule)
        try check(halfOpenTrialCalls >= 1, "breaker.halfOpenTrialCalls must be at least 1")
        try check(probeTimeout > .zero, "breaker.probeTimeout must be positive")
        try check(connectGrace >= .zero, "breaker.connectGrace must not be negative")
        for order in Self.orders { try order.check(self) }
    }
}
