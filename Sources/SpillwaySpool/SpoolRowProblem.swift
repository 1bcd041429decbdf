/// Why one stored row cannot be sent as it is, naming the column, so an
/// operator can find it with `spool peek` and a reader of the dead letters knows
/// what was wrong with it.
public struct SpoolRowProblem: Sendable, Hashable, CustomStringConvertible {
    /// The column at fault, named as in the spool's schema.
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case id, topic, key, value, headers, partition
        case createdAt = "created_at"
        case attempts
        case possiblyPersisted = "possibly_persisted"
        case valueIsNull = "value_is_null"
        case valueCodec = "value_codec"
        case valueDictionary = "value_dictionary"
        case valueSize = "value_size"
        /// Key, value and headers together are over the record size limit.
        case size
    }

    /// The row's id (as stored, possibly out of range).
    public var id: Int64
    public var field: Field
    /// What is wrong with it, in words.
    public var detail: String

    public init(id: Int64, field: Field, detail: String) {
        self.id = id
        self.field = field
        self.detail = detail
    }

    public var description: String { "record \(id): \(field.rawValue) \(detail)" }

    /// The dead-letter reason a quarantined row is given: starts with
    /// `reasonPrefix`, then names the field.
    public var deadLetterReason: String { "\(Self.reasonPrefix)\(field.rawValue) \(detail)" }

    /// How every quarantine reason starts, so they can be told from Kafka's refusals.
    public static let reasonPrefix = "quarantined, unreadable in the spool: "
}
