/// What became of a record handed to `send`. Returned at once: the call never
/// waits for Kafka or the disk (only `send(…, ack:)` does, for its own caller).
public enum Disposition: Sendable, Hashable {
    /// Acknowledged by Kafka. Only `send(…, ack: .kafka)` answers this: the
    /// `Acknowledgement` carries the partition and offset.
    case delivered
    /// In the memory queue, on its way to Kafka.
    case queued
    /// On its way to the disk spool (the breaker is open, or the queue is full).
    case spooled
    /// Accepted but not kept, for a counted reason.
    case dropped(DropReason)
    /// Invalid input; nothing was accepted.
    case rejected(Rejection)

    /// The name status pages, HTTP answers and metrics use for it.
    package var name: String {
        switch self {
        case .delivered: "delivered"
        case .queued: "queued"
        case .spooled: "spooled"
        case .dropped: "dropped"
        case .rejected: "rejected"
        }
    }

    /// `true` for `delivered`, `queued` and `spooled`.
    public var isAccepted: Bool {
        switch self {
        case .delivered, .queued, .spooled: true
        case .dropped, .rejected: false
        }
    }
}
