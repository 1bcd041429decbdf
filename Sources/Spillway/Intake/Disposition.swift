/// What became of a record handed to `send`. Returned at once: the call never
/// waits for Kafka or the disk.
public enum Disposition: Sendable, Hashable {
    /// In the memory queue, on its way to Kafka.
    case queued
    /// On its way to the disk spool (the breaker is open, or the queue is full).
    case spooled
    /// Accepted but not kept, for a counted reason.
    case dropped(DropReason)
    /// Invalid input; nothing was accepted.
    case rejected(Rejection)

    /// `true` for `queued` and `spooled`.
    public var isAccepted: Bool {
        switch self {
        case .queued, .spooled: true
        case .dropped, .rejected: false
        }
    }
}
