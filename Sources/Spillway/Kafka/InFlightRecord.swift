/// A record librdkafka holds, as the delivery loop remembers it until its delivery report.
struct InFlightRecord: Sendable {
    enum Origin: Sendable {
        /// Live: Spillway holds the only other copy, and spools it on failure.
        case live(PendingRecord)
        /// From the spool: it stays there until acknowledged.
        case replay(id: Int64)
    }

    var origin: Origin
    var sentAt: ContinuousClock.Instant
    /// Already reported to the breaker as slow; its report is not counted again.
    var countedSlow = false
}
