/// Until Kafka first acknowledges a record, waiting may be the first connection
/// (DNS, TLS, SASL, metadata), not ill health. This decides which waits count
/// as evidence for the breaker. Pure: time comes in as an argument.
struct ConnectionWarmUp: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// When the delivery loop started.
    let startedAt: Instant
    /// Past this long without an acknowledgement, waits count again.
    let grace: Duration
    /// When the first acknowledgement arrived.
    private(set) var connectedAt: Instant?
    /// `connectedAt != nil`, asked for every delivery report: a plain flag is
    /// cheaper than an optional of a resilient type.
    private(set) var isConnected = false

    init(startedAt: Instant, grace: Duration) {
        self.startedAt = startedAt
        self.grace = grace
    }

    mutating func acknowledged(at now: Instant) {
        if !isConnected {
            connectedAt = now
            isConnected = true
        }
    }

    /// The latency the breaker should see for a record sent at `sentAt` and
    /// acknowledged now: none before the first connection.
    func latency(sentAt: Instant, now: Instant) -> Duration {
        guard let connectedAt, sentAt >= connectedAt else { return .zero }
        return now - sentAt
    }

    /// Records sent before this instant are not counted as slow; `nil` while
    /// nothing should be counted at all. Until the first acknowledgement, slowness
    /// may be the first connection, but only for the grace: past it, with still no
    /// acknowledgement, every record in flight is evidence, the first ones
    /// included (under load they fill librdkafka's queue before the grace ends,
    /// and no later record would get in to be counted).
    func slowScanFloor(at now: Instant) -> Instant? {
        if let connectedAt { return connectedAt }
        return now < startedAt + grace ? nil : startedAt
    }
}
