/// A live record Kafka refused for a reason about itself, on its way to the dead-letter area.
struct DeadLetter: Sendable {
    var pending: PendingRecord
    var reason: String
}
