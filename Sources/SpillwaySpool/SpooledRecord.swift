/// A record as it sits in the spool: the record, the spool's id for it, and,
/// for a dead letter, why Kafka refused it.
public struct SpooledRecord: Sendable, Hashable {
    /// The spool's id: monotonic in append order and never reused, so it is also the replay order.
    public var id: Int64
    public var record: Record
    /// Bytes this record is charged against the spool's bound.
    public var cost: Int
    /// Set for dead letters: records Kafka refused for a reason about the record or its topic.
    public var deadLetterReason: String?
    /// Set when the stored row breaks the rules intake applies (a damaged or
    /// hand-edited row): `record` then holds what could be read, and it is never sent.
    public var problem: SpoolRowProblem?

    public init(id: Int64, record: Record, cost: Int, deadLetterReason: String? = nil, problem: SpoolRowProblem? = nil) {
        self.id = id
        self.record = record
        self.cost = cost
        self.deadLetterReason = deadLetterReason
        self.problem = problem
    }

    public var isDeadLetter: Bool { deadLetterReason != nil }
}
