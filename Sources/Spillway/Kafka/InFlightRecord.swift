/// A record librdkafka holds, as the delivery loop remembers it until its delivery report.
struct InFlightRecord: Sendable {
    enum Origin: Sendable {
        /// Live: Spillway holds the only other copy, and spools it on failure.
        case live(PendingRecord)
        /// From the spool: it stays there until acknowledged.
        case replay(id: Int64)
    }

    var origin: Origin
    /// When it was handed to librdkafka, as time since its window's epoch
    /// (`InFlightWindow.stamp`): `ContinuousClock.Instant` is a resilient type,
    /// and a record holding one is copied through value witnesses on every
    /// insert and removal, which cost the delivery loop more than librdkafka.
    var sentAt: Duration
    /// Already reported to the breaker as slow; its report is not counted again.
    var countedSlow = false
}
