/// A caller of `send(…, ack:)` handing a record over: the level it waits for,
/// who is told, and when it asked (its deadline counts from then).
struct AckRequest: Sendable {
    /// `spool` or `kafka`: at `memory` nobody waits, and there is no request.
    var level: AckLevel
    var recipient: AckRecipient
    var now: ContinuousClock.Instant
}
