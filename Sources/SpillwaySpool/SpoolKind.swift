/// Where an appended batch goes: the replay queue, or the dead-letter area.
public enum SpoolKind: Sendable, Hashable {
    /// Waiting to be replayed to Kafka.
    case ready
    /// Refused by Kafka for a reason about the record or its topic; kept for inspection, never replayed.
    case deadLetter(reason: String)
}
